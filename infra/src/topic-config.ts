import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { INFRA_DIR } from './support/paths';

/** The topic list of the platform (infra/topics.json). */
export const TOPICS_FILE = path.join(INFRA_DIR, 'topics.json');

/** One topic as it should exist on the cluster. */
export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Topic-level configs (`retention.ms`, ...), values as Kafka expects them: strings. */
  configs: Record<string, string>;
}

interface TopicsFileEntry {
  name: string;
  partitions: number;
  configs: Record<string, string>;
}

/** The parsed, validated content of topics.json. */
export interface TopicsFile {
  replicationFactor: number;
  topics: TopicsFileEntry[];
}

/** Validates topics.json's shape; throws naming the offending entry. */
export function parseTopicsFile(raw: unknown): TopicsFile {
  if (typeof raw !== 'object' || raw === null) throw new Error('topics.json: expected an object');
  const doc = raw as Record<string, unknown>;
  const rf = doc.replicationFactor;
  if (!isPositiveInt(rf)) throw new Error('topics.json: replicationFactor must be a positive integer');
  if (!Array.isArray(doc.topics)) throw new Error('topics.json: topics must be an array');
  const seen = new Set<string>();
  const topics = doc.topics.map((t: unknown, i): TopicsFileEntry => {
    const entry = (typeof t === 'object' && t !== null ? t : {}) as Record<string, unknown>;
    const name = entry.name;
    if (typeof name !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(name)) {
      throw new Error(`topics.json: topics[${i}] has no valid name`);
    }
    if (seen.has(name)) throw new Error(`topics.json: topic ${name} is listed twice`);
    seen.add(name);
    if (!isPositiveInt(entry.partitions))
      throw new Error(`topics.json: ${name}: partitions must be a positive integer`);
    const configs: Record<string, string> = {};
    if (entry.configs !== undefined) {
      if (typeof entry.configs !== 'object' || entry.configs === null || Array.isArray(entry.configs)) {
        throw new Error(`topics.json: ${name}: configs must be an object`);
      }
      for (const [k, v] of Object.entries(entry.configs)) {
        if (typeof v !== 'string') throw new Error(`topics.json: ${name}: config ${k} must be a string`);
        configs[k] = v;
      }
    }
    return { name, partitions: entry.partitions, configs };
  });
  return { replicationFactor: rf, topics };
}

/**
 * The topics to create: the file's replication factor unless SP_KAFKA_REPLICATION_FACTOR (or an
 * explicit override) says otherwise. With three or more replicas min.insync.replicas becomes 2,
 * so that an acknowledged write survives the loss of a broker; a topic's own setting wins.
 */
export function resolveTopics(
  file: TopicsFile,
  env: NodeJS.ProcessEnv = process.env,
  replicationFactor?: number,
): TopicSpec[] {
  let rf = replicationFactor ?? file.replicationFactor;
  const fromEnv = env.SP_KAFKA_REPLICATION_FACTOR;
  if (replicationFactor === undefined && fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv);
    if (!isPositiveInt(n))
      throw new Error(`SP_KAFKA_REPLICATION_FACTOR must be a positive integer, got "${fromEnv}"`);
    rf = n;
  }
  return file.topics.map((t) => {
    const configs = { ...t.configs };
    if (configs['min.insync.replicas'] === undefined && rf >= 3) configs['min.insync.replicas'] = '2';
    return { name: t.name, partitions: t.partitions, replicationFactor: rf, configs };
  });
}

/** Reads and resolves infra/topics.json. */
export function loadTopics(env: NodeJS.ProcessEnv = process.env, replicationFactor?: number): TopicSpec[] {
  const raw = JSON.parse(readFileSync(TOPICS_FILE, 'utf8')) as unknown;
  return resolveTopics(parseTopicsFile(raw), env, replicationFactor);
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}
