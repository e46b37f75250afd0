import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseTopicsFile, resolveTopics, TOPICS_FILE, TopicSpec } from '@sp/infra';

/** The Strimzi `Kafka` resource the topics belong to (kafka-cluster.yaml). */
export const KAFKA_CLUSTER = 'sp-kafka';
/** Three brokers, each partition on all three; with min.insync.replicas 2 a write survives losing one. */
export const PRODUCTION_REPLICATION_FACTOR = 3;
/** The committed output, applied with the rest of deploy/kafka. */
export const TOPICS_YAML = path.join(__dirname, 'topics.yaml');

/** infra/topics.json's topics as production creates them: replication 3, min.insync.replicas 2. */
export function productionTopics(topicsJson: string = readFileSync(TOPICS_FILE, 'utf8')): TopicSpec[] {
  return resolveTopics(parseTopicsFile(JSON.parse(topicsJson)), {}, PRODUCTION_REPLICATION_FACTOR);
}

/** A Kubernetes name for a Kafka topic name (dots and underscores are not welcome in resource names). */
export function resourceName(topic: string): string {
  return topic.toLowerCase().replace(/[._]/g, '-');
}

/** A YAML single-quoted scalar: Kafka wants config values as strings, and Prettier keeps this form. */
function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** One `KafkaTopic` per topic, as YAML documents; config keys sorted so that the output is stable. */
export function renderTopicsYaml(topics: TopicSpec[]): string {
  const names = new Set<string>();
  const docs = topics.map((t) => {
    const name = resourceName(t.name);
    if (names.has(name))
      throw new Error(`topics ${t.name} and another map to the same resource name ${name}`);
    names.add(name);
    const configs = Object.keys(t.configs)
      .sort()
      .map((k) => `    ${k}: ${quote(t.configs[k])}`);
    return [
      'apiVersion: kafka.strimzi.io/v1beta2',
      'kind: KafkaTopic',
      'metadata:',
      `  name: ${name}`,
      '  labels:',
      `    strimzi.io/cluster: ${KAFKA_CLUSTER}`,
      'spec:',
      `  topicName: ${t.name}`,
      `  partitions: ${t.partitions}`,
      `  replicas: ${t.replicationFactor}`,
      ...(configs.length > 0 ? ['  config:', ...configs] : []),
    ].join('\n');
  });
  const header = [
    '# Generated from infra/topics.json by deploy/kafka/generate-topics.ts; do not edit by hand.',
    '# Regenerate: node -r @swc-node/register deploy/kafka/generate-topics.ts',
  ].join('\n');
  return `${header}\n${docs.join('\n---\n')}\n`;
}

if (require.main === module) {
  writeFileSync(TOPICS_YAML, renderTopicsYaml(productionTopics()));
  console.log(`wrote ${path.relative(process.cwd(), TOPICS_YAML)}`);
}
