import { kafkaBrokers } from './kafka-client';
import { OutboxRelay } from './outbox-relay';
import { OutboxWriter } from './outbox-writer';
import { createTestDatabase, percentile, uniqueName, waitFor } from '@sp/testing';
import { Admin, Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import {
  collect,
  createTopics,
  header,
  openTestDataSource,
  TEST_EVENT,
  testKafka,
  testRegistry,
} from '../test/messaging-fixtures';

describe('transactional outbox (real Postgres and Kafka)', () => {
  const topic = uniqueName('test.outbox').replace(/_/g, '-');
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let kafka: Kafka;
  let admin: Admin;
  const relays: OutboxRelay[] = [];
  let writer: OutboxWriter;

  beforeAll(async () => {
    db = await createTestDatabase(uniqueName('sp_test_outbox'));
    ds = await openTestDataSource(db.url, 10);
    kafka = testKafka(kafkaBrokers());
    admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [topic, `${topic}.dlq`], 3);
    writer = new OutboxWriter('outbox-test', testRegistry(topic));
  });

  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
    await admin.disconnect();
    await ds.destroy();
    await db.drop();
  });

  it('publishes nothing for a rolled-back transaction and everything committed, in order per key, promptly', async () => {
    const collector = await collect(kafka, topic);
    // Polling is set to a minute: only the NOTIFY sent at commit can make the relay publish quickly.
    const relay = new OutboxRelay({ dataSource: ds, kafka, pollIntervalMs: 60_000, name: 'relay-a' });
    relays.push(relay);
    relay.start();

    await expect(
      ds.transaction(async (m) => {
        await writer.enqueue(m, {
          type: TEST_EVENT,
          subject: 'rolled-back',
          data: { key: 'rolled-back', seq: 0 },
        });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');

    const committedAt = new Map<string, number>();
    const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
    const total = 1000;
    for (let batch = 0; batch < total / 10; batch++) {
      const events = await ds.transaction((m) =>
        writer.enqueueMany(
          m,
          Array.from({ length: 10 }, (_, i) => {
            const seq = batch * 10 + i;
            const key = keys[seq % keys.length];
            return { type: TEST_EVENT, subject: key, data: { key, seq } };
          }),
        ),
      );
      const now = Date.now();
      for (const e of events) committedAt.set(e.id, now);
      if (batch % 10 === 0) await new Promise((r) => setTimeout(r, 20)); // a stream, not one burst
    }

    await waitFor(() => collector.messages.length >= total, {
      timeoutMs: 30000,
      message: `${total} events on ${topic}`,
    });
    await new Promise((r) => setTimeout(r, 500)); // anything extra (a leak of the rolled-back event) would arrive now
    await collector.stop();

    const received = collector.messages.map(({ message, at }) => ({
      id: header(message, 'ce_id')!,
      key: message.key!.toString(),
      data: JSON.parse(message.value!.toString()) as { key: string; seq: number },
      at,
    }));
    expect(received).toHaveLength(total);
    expect(received.some((r) => r.key === 'rolled-back')).toBe(false);
    expect(new Set(received.map((r) => r.id)).size).toBe(total);
    for (const key of keys) {
      const seqs = received.filter((r) => r.key === key).map((r) => r.data.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    const [row] = await ds.query(
      `SELECT count(*)::int AS rows, count(*) FILTER (WHERE published_at IS NULL)::int AS unpublished FROM outbox`,
    );
    expect(row).toEqual({ rows: total, unpublished: 0 }); // the rolled-back row never existed

    const lags = received.map((r) => r.at - committedAt.get(r.id)!);
    const p50 = percentile(lags, 50);
    const p99 = percentile(lags, 99);
    console.log(
      `outbox publish lag, commit to consumer: median ${p50} ms, p99 ${p99} ms over ${lags.length} events`,
    );
    expect(p50).toBeLessThan(1000);
  });

  it('keeps per-key order and publishes each event once with two relays racing on one outbox', async () => {
    const topic2 = `${topic}-two`;
    await createTopics(admin, [topic2], 3);
    const writer2 = new OutboxWriter('outbox-test', testRegistry(topic2));
    const collector = await collect(kafka, topic2);
    const a = new OutboxRelay({ dataSource: ds, kafka, pollIntervalMs: 50, batchSize: 25, name: 'relay-a2' });
    const b = new OutboxRelay({ dataSource: ds, kafka, pollIntervalMs: 50, batchSize: 25, name: 'relay-b2' });
    relays.push(a, b);
    a.start();
    b.start();
    const total = 600;
    await Promise.all(
      Array.from({ length: 6 }, async (_, w) => {
        for (let i = 0; i < total / 6; i++) {
          const seq = w * 1000 + i; // each writer owns one key, so its seqs must arrive ascending
          await ds.transaction((m) =>
            writer2.enqueue(m, { type: TEST_EVENT, subject: `w${w}`, data: { key: `w${w}`, seq } }),
          );
        }
      }),
    );
    await waitFor(() => collector.messages.length >= total, { timeoutMs: 30000, message: `${total} events` });
    await new Promise((r) => setTimeout(r, 500));
    await collector.stop();
    const received = collector.messages.map(
      ({ message }) => JSON.parse(message.value!.toString()) as { key: string; seq: number },
    );
    expect(received).toHaveLength(total);
    for (let w = 0; w < 6; w++) {
      const seqs = received.filter((r) => r.key === `w${w}`).map((r) => r.seq);
      expect(seqs).toHaveLength(total / 6);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    await admin.deleteTopics({ topics: [topic2] }).catch(() => undefined);
  });
});
