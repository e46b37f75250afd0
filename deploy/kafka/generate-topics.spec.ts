import { readFileSync } from 'node:fs';
import { ALL_TOPICS, dlqTopic } from '@sp/contracts';
import { TOPICS_FILE } from '@sp/infra';
import { productionTopics, renderTopicsYaml, resourceName, TOPICS_YAML } from './generate-topics';

interface RenderedTopic {
  topicName: string;
  partitions: number;
  replicas: number;
  config: Record<string, string>;
}

/** Reads back the few fields of each KafkaTopic document that production depends on. */
function readTopicsYaml(text: string): RenderedTopic[] {
  return text
    .split(/^---$/m)
    .filter((doc) => /^kind: KafkaTopic$/m.test(doc))
    .map((doc) => {
      const field = (re: RegExp) => doc.match(re)?.[1] ?? '';
      const config: Record<string, string> = {};
      for (const m of doc.matchAll(/^ {4}([\w.]+): '((?:[^']|'')*)'$/gm))
        config[m[1]] = m[2].replace(/''/g, "'");
      return {
        topicName: field(/^ {2}topicName: (\S+)$/m),
        partitions: Number(field(/^ {2}partitions: (\d+)$/m)),
        replicas: Number(field(/^ {2}replicas: (\d+)$/m)),
        config,
      };
    });
}

const committed = readFileSync(TOPICS_YAML, 'utf8');
const sourceTopics = (
  JSON.parse(readFileSync(TOPICS_FILE, 'utf8')) as { topics: { name: string; partitions: number }[] }
).topics;

describe('deploy/kafka/topics.yaml', () => {
  it('is what the generator writes from infra/topics.json today', () => {
    // Fails when infra/topics.json changed without: node -r @swc-node/register deploy/kafka/generate-topics.ts
    expect(committed).toBe(renderTopicsYaml(productionTopics()));
  });

  it('has every topic of infra/topics.json with its partitions, 3 replicas and min.insync.replicas 2', () => {
    const rendered = readTopicsYaml(committed);
    expect(rendered.map((t) => t.topicName).sort()).toEqual(sourceTopics.map((t) => t.name).sort());
    for (const source of sourceTopics) {
      const topic = rendered.find((t) => t.topicName === source.name);
      expect({ name: source.name, partitions: topic?.partitions, replicas: topic?.replicas }).toEqual({
        name: source.name,
        partitions: source.partitions,
        replicas: 3,
      });
      expect({ name: source.name, minIsr: topic?.config['min.insync.replicas'] }).toEqual({
        name: source.name,
        minIsr: '2',
      });
    }
  });

  it('has every contract topic and its dead-letter topic', () => {
    const names = readTopicsYaml(committed).map((t) => t.topicName);
    for (const topic of ALL_TOPICS) expect(names).toEqual(expect.arrayContaining([topic, dlqTopic(topic)]));
  });
});

describe('renderTopicsYaml', () => {
  it('keeps a topic-level min.insync.replicas and gives every other topic 2', () => {
    const yaml = renderTopicsYaml(
      productionTopics(
        JSON.stringify({
          replicationFactor: 1,
          topics: [
            { name: 'a.b', partitions: 2, configs: { 'min.insync.replicas': '3' } },
            { name: 'c_d', partitions: 1 },
          ],
        }),
      ),
    );
    const [a, c] = readTopicsYaml(yaml);
    expect(a).toEqual({
      topicName: 'a.b',
      partitions: 2,
      replicas: 3,
      config: { 'min.insync.replicas': '3' },
    });
    expect(c).toEqual({
      topicName: 'c_d',
      partitions: 1,
      replicas: 3,
      config: { 'min.insync.replicas': '2' },
    });
    expect(yaml).toContain('  name: c-d\n');
  });

  it('writes no config block for a topic without configs', () => {
    const yaml = renderTopicsYaml([{ name: 'plain', partitions: 1, replicationFactor: 3, configs: {} }]);
    expect(yaml).not.toContain('config:');
    expect(readTopicsYaml(yaml)).toEqual([{ topicName: 'plain', partitions: 1, replicas: 3, config: {} }]);
  });

  it('quotes config values so that a quote inside one survives', () => {
    const yaml = renderTopicsYaml([
      { name: 'q', partitions: 1, replicationFactor: 3, configs: { 'message.format': "it's" } },
    ]);
    expect(yaml).toContain("    message.format: 'it''s'\n");
    expect(readTopicsYaml(yaml)[0].config).toEqual({ 'message.format': "it's" });
  });

  it('refuses two topics that would share a resource name', () => {
    const topics = productionTopics(
      JSON.stringify({
        replicationFactor: 1,
        topics: [
          { name: 'x.y', partitions: 1 },
          { name: 'x_y', partitions: 1 },
        ],
      }),
    );
    expect(resourceName('x.y')).toBe(resourceName('x_y'));
    expect(() => renderTopicsYaml(topics)).toThrow(/same resource name x-y/);
  });
});
