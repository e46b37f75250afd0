import { eventTopic, fromKafkaMessage, toKafkaMessage, type CloudEvent } from '@sp/contracts';
import { createKafka } from './kafka-client';

// kafkajs v2 warns once that its default partitioner changed; it is the Java-compatible one the relay
// uses too, so the warning says nothing here.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

/** Publishes whole CloudEvents, as another service's outbox relay would. */
export interface EventPublisher {
  /** Sends the events (acks=all) to their catalogue topics, keyed by subject, in the order given. */
  publish(...events: CloudEvent[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * For integration tests that feed a service the events of another one: real CloudEvents in Kafka
 * binary mode on the real topics, without booting the producing service. Events are sent as given
 * (in order, acks=all, batched per call), so a test can also redeliver one (same `id`) to check that
 * the consumer absorbs it.
 */
export async function createEventPublisher(clientId = 'sp-test-publisher'): Promise<EventPublisher> {
  const producer = createKafka(clientId).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return {
    async publish(...events) {
      const byTopic = new Map<string, ReturnType<typeof toKafkaMessage>[]>();
      for (const ev of events) {
        const topic = eventTopic(ev.type);
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), toKafkaMessage(ev)]);
      }
      if (byTopic.size === 0) return;
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        acks: -1,
      });
    },
    close: () => producer.disconnect(),
  };
}

/** Every event seen on a topic since the collector started reading it from the beginning. */
export interface EventCollector {
  readonly events: CloudEvent[];
  /** Each event's Kafka headers (dead letters carry `dlq_reason`, `dlq_consumer`...), by CloudEvent id. */
  readonly headers: Map<string, Record<string, string>>;
  /** Envelopes that failed to parse, by reason (a topic should have none). */
  readonly malformed: string[];
  stop(): Promise<void>;
}

/**
 * Reads `topic` from the beginning under a throwaway consumer group, parsing each message as a
 * CloudEvent. Tests filter by subject (their own ids) and wait with waitFor.
 */
export async function collectEvents(topic: string, clientId = 'sp-test-collector'): Promise<EventCollector> {
  const consumer = createKafka(clientId).consumer({
    groupId: `${clientId}-${topic}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    allowAutoTopicCreation: false,
  });
  const events: CloudEvent[] = [];
  const headers = new Map<string, Record<string, string>>();
  const malformed: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    // A throwaway group: committing its offsets (kafkajs: after every batch) would only load the broker.
    autoCommit: false,
    eachMessage: async ({ message }) => {
      try {
        const ev = fromKafkaMessage(message);
        events.push(ev);
        headers.set(
          ev.id,
          Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        );
      } catch (err) {
        malformed.push(err instanceof Error ? err.message : String(err));
      }
    },
  });
  return { events, headers, malformed, stop: () => consumer.disconnect() };
}

/**
 * Commits offsets for a consumer group that does not exist yet at the current end of `topics`, so a
 * service booted in a test under that group consumes only what the test publishes from now on,
 * instead of replaying every earlier run's events on the shared topics first.
 */
export async function startConsumerGroupAtEnd(
  groupId: string,
  topics: string[],
  clientId = 'sp-test-admin',
): Promise<void> {
  const kafka = createKafka(clientId);
  const admin = kafka.admin();
  await admin.connect();
  let ends: { topic: string; partition: number; offset: string }[];
  try {
    ends = (
      await Promise.all(
        topics.map(async (topic) =>
          (await admin.fetchTopicOffsets(topic)).map((p) => ({
            topic,
            partition: p.partition,
            offset: p.high,
          })),
        ),
      )
    ).flat();
  } finally {
    await admin.disconnect();
  }
  // What admin.setOffsets does, but for every topic in one group join, and without waiting out a
  // 5 s fetch per topic: join, pause, seek each partition to its end (committed on stop), leave.
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.FETCH, () => void consumer.stop().then(resolve, reject));
      consumer
        .run({ eachBatchAutoResolve: false, eachBatch: async () => undefined })
        .catch((err: unknown) => reject(err instanceof Error ? err : new Error(String(err))));
      consumer.pause(topics.map((topic) => ({ topic })));
      for (const e of ends) consumer.seek(e);
    });
  } finally {
    await consumer.disconnect();
  }
}
