import { Admin, Consumer, Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { createServiceDataSource } from '@sp/persistence';
import type { EventRegistry } from '../src/event-registry';

export const TEST_EVENT = 'test.happened.v1';

/** A registry for the messaging layer's own tests: one type, on a topic made for the spec. */
export function testRegistry(topic: string): EventRegistry {
  return {
    topicFor: (type) => {
      if (type.startsWith('test.')) return topic;
      throw new Error(`unknown event type ${type}`);
    },
    validate: (type, data) => {
      if (!type.startsWith('test.')) return [`unknown event type ${type}`];
      const d = data as { key?: unknown; seq?: unknown };
      const problems: string[] = [];
      if (typeof d?.key !== 'string') problems.push('key: must be a string');
      if (typeof d?.seq !== 'number' || !Number.isInteger(d.seq)) problems.push('seq: must be an integer');
      return problems;
    },
  };
}

/** Messaging tables plus `effects`, where test handlers record what they did (no uniqueness on purpose). */
export async function openTestDataSource(url: string, poolSize = 5): Promise<DataSource> {
  const ds = createServiceDataSource({ url, poolSize });
  await ds.initialize();
  await ds.runMigrations();
  await ds.query(`CREATE TABLE IF NOT EXISTS effects (
      n bigserial PRIMARY KEY, ce_id text NOT NULL, key text NOT NULL, seq int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  return ds;
}

export function testKafka(brokers: string[], clientId = 'messaging-test'): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 200, retries: 8 },
  });
}

export async function createTopics(admin: Admin, topics: string[], partitions = 3): Promise<void> {
  await admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: topic.endsWith('.dlq') ? 1 : partitions })),
    waitForLeaders: true,
  });
}

/** Collects every message of `topic` from the beginning, with the wall-clock time it arrived. */
export async function collect(
  kafka: Kafka,
  topic: string,
): Promise<{
  messages: { message: KafkaMessage; at: number; partition: number }[];
  stop: () => Promise<void>;
}> {
  const consumer: Consumer = kafka.consumer({ groupId: `collector-${topic}-${Math.random()}` });
  const messages: { message: KafkaMessage; at: number; partition: number }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      messages.push({ message, at: Date.now(), partition });
    },
  });
  return { messages, stop: () => consumer.disconnect() };
}

export const header = (m: KafkaMessage, name: string): string | undefined => {
  const v = m.headers?.[name];
  return v === undefined ? undefined : Array.isArray(v) ? String(v[0]) : String(v);
};
