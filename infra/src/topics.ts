import { Kafka, logLevel } from 'kafkajs';
import { loadTopics, TopicSpec } from './topic-config';
import { waitUntil } from './support/wait';

export interface EnsureTopicsOptions {
  /** Topics to ensure; infra/topics.json by default. */
  topics?: TopicSpec[];
  /** Overrides the replication factor of the default topic list. */
  replicationFactor?: number;
  /** How long to wait for the cluster and for every partition to have a leader; 60 s by default. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface EnsureTopicsResult {
  /** Every topic ensured, in the order given. */
  topics: string[];
  created: string[];
  existing: string[];
  /** Existing topics that had fewer partitions than wanted and were given more. */
  partitionsAdded: string[];
}

/**
 * Creates the topics that are missing (idempotent, safe to race with another caller) and raises
 * partition counts that are too low, then waits until every partition of every listed topic has a
 * leader. Partitions are never removed and existing configs are left alone.
 */
export async function ensureTopics(
  brokers: string[],
  opts: EnsureTopicsOptions = {},
): Promise<EnsureTopicsResult> {
  const topics = opts.topics ?? loadTopics(process.env, opts.replicationFactor);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const log = opts.log ?? (() => undefined);
  const kafka = new Kafka({
    clientId: 'sp-infra-topics',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { retries: 5, initialRetryTime: 200 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existingNames = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existingNames.has(t.name));
    const present = topics.filter((t) => existingNames.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: false,
        timeout: timeoutMs,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor,
          configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
        })),
      });
      log(`created ${missing.length} topic(s): ${missing.map((t) => t.name).join(', ')}`);
    }

    const partitionsAdded: string[] = [];
    if (present.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) });
      const counts = new Map(meta.topics.map((t) => [t.name, t.partitions.length]));
      const tooFew = present.filter((t) => (counts.get(t.name) ?? t.partitions) < t.partitions);
      if (tooFew.length > 0) {
        await admin.createPartitions({
          timeout: timeoutMs,
          topicPartitions: tooFew.map((t) => ({ topic: t.name, count: t.partitions })),
        });
        partitionsAdded.push(...tooFew.map((t) => t.name));
        log(`added partitions to ${partitionsAdded.join(', ')}`);
      }
    }

    const names = topics.map((t) => t.name);
    await waitUntil(
      async () => {
        const meta = await admin.fetchTopicMetadata({ topics: names });
        return meta.topics.every((t) =>
          t.partitions.every((p) => p.leader >= 0 && p.partitionErrorCode === 0),
        );
      },
      { timeoutMs, intervalMs: 200, what: `leaders for every partition of ${names.length} topic(s)` },
    );
    return {
      topics: names,
      created: missing.map((t) => t.name),
      existing: present.map((t) => t.name),
      partitionsAdded,
    };
  } finally {
    await admin.disconnect();
  }
}
