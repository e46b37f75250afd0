import { TempPostgres } from '@sp/infra';
import { createTestDatabase, uniqueName, waitFor } from '@sp/testing';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toKafkaMessage } from '@sp/contracts';
import { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { register } from 'prom-client';
import { DataSource, EntityManager } from 'typeorm';
import { commitSoon } from './commit-soon';
import { EventBatchHandler, EventConsumer } from './event-consumer';
import { kafkaBrokers } from './kafka-client';
import { PermanentError } from './transient-error';
import {
  collect,
  createTopics,
  header,
  openTestDataSource,
  TEST_EVENT,
  testKafka,
  testRegistry,
} from '../test/messaging-fixtures';

const event = (key: string, seq: number, id: string = randomUUID(), type = TEST_EVENT) =>
  toKafkaMessage({
    id,
    type,
    source: 'consumer-test',
    specversion: '1.0',
    time: new Date().toISOString(),
    subject: key,
    datacontenttype: 'application/json',
    data: { key, seq },
  });

const recordEffect = async (ev: { id: string; data: unknown }, m: EntityManager) => {
  const d = ev.data as { key: string; seq: number };
  await m.query(`INSERT INTO effects (ce_id, key, seq) VALUES ($1, $2, $3)`, [ev.id, d.key, d.seq]);
};

describe('EventConsumer: inbox, retries and dead letters (real Kafka and Postgres)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    kafka = testKafka(kafkaBrokers());
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await producer.disconnect();
    await admin.disconnect();
  });

  async function setup(
    label: string,
    handler = recordEffect,
    url?: string,
    extra: {
      partitionStallMs?: number;
      partitionsConcurrently?: number;
      batchHandlers?: Record<string, EventBatchHandler>;
    } = {},
  ) {
    const topic = uniqueName(`test.${label}`).replace(/_/g, '-');
    await createTopics(admin, [topic, `${topic}.dlq`], 2);
    let ds: DataSource;
    if (url) {
      ds = await openTestDataSource(url);
    } else {
      const db = await createTestDatabase(uniqueName(`sp_test_${label.replace(/-/g, '_')}`));
      ds = await openTestDataSource(db.url);
      cleanups.push(() => db.drop());
    }
    cleanups.push(() => ds.destroy());
    cleanups.push(() => admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }));
    const consumer = new EventConsumer({
      name: `it-${label}`,
      kafka,
      dataSource: ds,
      topics: [topic],
      handlers: { [TEST_EVENT]: handler },
      registry: testRegistry(topic),
      sessionTimeoutMs: 6000,
      ...extra,
    });
    cleanups.push(() => consumer.stop());
    await consumer.start();
    const effects = async () =>
      (await ds.query(`SELECT ce_id, key, seq FROM effects ORDER BY n`)) as {
        ce_id: string;
        key: string;
        seq: number;
      }[];
    return { topic, ds, consumer, effects };
  }

  it('handles each event once in effect when the same event is delivered twice', async () => {
    const { topic, ds, effects } = await setup('dup');
    const id = randomUUID();
    await producer.send({ topic, messages: [event('k1', 1, id)] });
    await producer.send({ topic, messages: [event('k1', 1, id), event('k1', 2)] });
    await waitFor(async () => (await effects()).some((e) => e.seq === 2), {
      message: 'second event handled',
    });
    const rows = await effects();
    expect(rows.map((r) => r.seq)).toEqual([1, 2]);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM inbox WHERE ce_id = $1`, [id]);
    expect(n).toBe(1);
  });

  it('commits offsets at most once a second under a trickle of events, and every handled one when it stops', async () => {
    const { topic, consumer, effects } = await setup('commits');
    const group = 'it-commits';
    const commits = async () => {
      const metric = register.getSingleMetric('sp_consumer_offset_commits_total');
      const values = (await metric?.get())?.values ?? [];
      return values.find((v) => v.labels.consumer === group)?.value ?? 0;
    };
    const committedAtEnd = async () => {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const ends = await admin.fetchTopicOffsets(topic);
      // A partition nothing was sent to has no commit (-1) and nothing to commit.
      return ends.every((e) => {
        const at = committed.partitions.find((p) => p.partition === e.partition)?.offset;
        return at === e.high || (at === '-1' && e.high === e.low);
      });
    };
    // 60 events sent one at a time, 25 ms apart: kafkajs's auto-commit sent an OffsetCommit after
    // every batch, so about one per event.
    const before = await commits();
    const t0 = Date.now();
    for (let seq = 1; seq <= 60; seq++) {
      await producer.send({ topic, messages: [event(`k${seq % 2}`, seq)] });
      await new Promise((r) => setTimeout(r, 25));
    }
    await waitFor(async () => (await effects()).length >= 60, { message: '60 effects' });
    const seconds = (Date.now() - t0) / 1000;
    const sent = (await commits()) - before;
    console.log(`60 events over ${seconds.toFixed(1)} s: ${sent} offset commits`);
    expect(sent).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
    // The end of the trickle is committed by the timer, with no further batch to do it.
    await waitFor(committedAtEnd, { message: 'offsets committed up to the end', timeoutMs: 5_000 });

    // Handled and not yet due: stopping commits them before the consumer leaves its group.
    await producer.send({ topic, messages: [event('k0', 61), event('k1', 62)] });
    await waitFor(async () => (await effects()).length >= 62, { message: '62 effects' });
    await consumer.stop();
    expect(await committedAtEnd()).toBe(true);
  });

  it('handles a large batch in shared transactions: each event once, in order per key, poison set aside', async () => {
    const { topic, ds, effects } = await setup('chunks');
    const dlq = await collect(kafka, `${topic}.dlq`);
    cleanups.push(() => dlq.stop());
    const twice = randomUUID();
    const messages = [];
    for (let seq = 1; seq <= 400; seq++) {
      const key = `k${seq % 4}`;
      messages.push(event(key, seq, seq === 50 ? twice : undefined));
      if (seq === 120) messages.push(event('k0', 50, twice)); // a redelivery inside the same batch
      if (seq === 250) messages.push({ ...event('k2', 0), value: '{not json' }); // poison mid-batch
    }
    await producer.send({ topic, messages });
    await waitFor(async () => (await effects()).length >= 400, { message: '400 effects', timeoutMs: 60_000 });
    const rows = await effects();
    expect(rows).toHaveLength(400);
    expect(new Set(rows.map((r) => r.ce_id)).size).toBe(400);
    for (const key of ['k0', 'k1', 'k2', 'k3']) {
      const seqs = rows.filter((r) => r.key === key).map((r) => r.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    await waitFor(() => dlq.messages.length >= 1, { message: 'the poison message in the DLQ' });
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM inbox WHERE status = 'processed'`);
    expect(n).toBe(400);
  });

  it('hands runs of events to batch handlers: each once, in order per key, a failing run retried one by one', async () => {
    const BATCHED = 'test.batched.v1';
    const calls: number[] = [];
    const { topic, ds, effects } = await setup('batches', recordEffect, undefined, {
      batchHandlers: {
        [BATCHED]: async (events, m) => {
          calls.push(events.length);
          const data = events.map((e) => e.data as { key: string; seq: number });
          if (data.some((d) => d.seq === 666)) throw new Error('bug in handler');
          await m.query(
            `INSERT INTO effects (ce_id, key, seq) SELECT * FROM unnest($1::text[], $2::text[], $3::int[])`,
            [events.map((e) => e.id), data.map((d) => d.key), data.map((d) => d.seq)],
          );
        },
      },
    });
    const dlq = await collect(kafka, `${topic}.dlq`);
    cleanups.push(() => dlq.stop());
    const twice = randomUUID();
    const messages = [];
    for (let seq = 1; seq <= 300; seq++) {
      const key = `k${seq % 3}`;
      // Every tenth event has a plain handler: it ends a run, and must come after the run before it.
      const type = seq % 10 === 0 ? TEST_EVENT : BATCHED;
      messages.push(event(key, seq === 155 ? 666 : seq, seq === 40 ? twice : undefined, type));
      if (seq === 41) messages.push(event('k1', 40, twice, TEST_EVENT)); // a redelivery in the batch
    }
    await producer.send({ topic, messages });
    await waitFor(async () => (await effects()).length >= 299, { message: '299 effects', timeoutMs: 60_000 });
    await waitFor(() => dlq.messages.length >= 1, { message: 'the failing event in the DLQ' });
    const rows = await effects();
    expect(rows).toHaveLength(299);
    expect(new Set(rows.map((r) => r.ce_id)).size).toBe(299);
    expect(rows.some((r) => r.seq === 666)).toBe(false);
    for (const key of ['k0', 'k1', 'k2']) {
      const seqs = rows.filter((r) => r.key === key).map((r) => r.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    // Runs went to the handler together; the failing event alone, after its run failed.
    expect(Math.max(...calls)).toBeGreaterThan(1);
    expect(calls.filter((size) => size === 1).length).toBeGreaterThanOrEqual(3);
    expect(header(dlq.messages[0].message, 'dlq_reason')).toMatch(/handler failed 3 times: .*bug in handler/);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM inbox WHERE status = 'processed'`);
    expect(n).toBe(299);
  });

  it('ends a shared transaction at an event whose handler asked to commit soon, and takes the rest in the next', async () => {
    const tx = new Map<number, string>();
    const hot = (seq: number) => seq % 10 === 5;
    const { topic, ds, effects } = await setup('commit-soon', async (ev, m) => {
      await recordEffect(ev, m);
      const seq = (ev.data as { seq: number }).seq;
      const [{ t }] = await m.query(`SELECT txid_current()::text AS t`);
      tx.set(seq, t);
      // As a handler does after locking a row that many others queue for.
      if (hot(seq)) commitSoon(m);
    });
    // One partition, one send: the consumer gets them as one batch and works through it in chunks.
    await producer.send({
      topic,
      messages: Array.from({ length: 40 }, (_, i) => ({ ...event('h', i + 1), partition: 0 })),
    });
    await waitFor(async () => (await effects()).length >= 40, { message: '40 effects' });
    const rows = await effects();
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM inbox WHERE status = 'processed'`);
    expect(n).toBe(40);
    // Each hot event is the last of its transaction...
    for (const seq of [5, 15, 25, 35]) expect(tx.get(seq + 1)).not.toBe(tx.get(seq));
    // ...and the events between two hot ones still share one.
    for (let seq = 6; seq < 15; seq++) expect(tx.get(seq + 1)).toBe(tx.get(seq));
    expect(new Set(tx.values()).size).toBe(5);
    // Counted for operators: a row many consumers queue for shows up here.
    const early = (await register.getSingleMetricAsString('sp_consumer_early_commits_total'))
      .split('\n')
      .filter((l) => l.includes(`consumer="it-commit-soon"`));
    expect(early.map((l) => Number(l.split(' ').pop()))).toEqual([4]);
  });

  it('refuses a type with both a handler and a batch handler', () => {
    expect(
      () =>
        new EventConsumer({
          name: 'both',
          kafka,
          dataSource: {} as DataSource,
          topics: ['t'],
          handlers: { [TEST_EVENT]: recordEffect },
          batchHandlers: { [TEST_EVENT]: async () => undefined },
        }),
    ).toThrow(`${TEST_EVENT} has both a handler and a batch handler`);
  });

  it('sends poison messages to <topic>.dlq with the reason and keeps the partition flowing', async () => {
    const { topic, effects } = await setup('poison');
    const dlq = await collect(kafka, `${topic}.dlq`);
    cleanups.push(() => dlq.stop());
    const good = event('p', 1);
    const noHeaders = { key: 'p', value: '{"key":"p","seq":2}', headers: {} };
    const notJson = { ...event('p', 3), value: '{not json' };
    const badData = event('p', 4);
    badData.value = JSON.stringify({ key: 'p', seq: 'four' });
    const after = event('p', 5);
    await producer.send({ topic, messages: [good, noHeaders, notJson, badData, after] });

    await waitFor(async () => (await effects()).some((e) => e.seq === 5), {
      message: 'message behind the poison handled',
    });
    expect((await effects()).map((e) => e.seq)).toEqual([1, 5]);
    await waitFor(() => dlq.messages.length >= 3, { message: '3 messages in the DLQ' });
    const reasons = dlq.messages.map((m) => header(m.message, 'dlq_reason'));
    expect(reasons[0]).toMatch(/invalid envelope: .*ce_id/);
    expect(reasons[1]).toMatch(/invalid envelope: .*JSON/i);
    expect(reasons[2]).toMatch(/seq: must be an integer/);
    expect(dlq.messages.map((m) => header(m.message, 'dlq_source_topic'))).toEqual([topic, topic, topic]);
    // The original message is kept intact for replay.
    expect(dlq.messages[1].message.value?.toString()).toBe('{not json');
  });

  it('dead-letters a handler failure after bounded retries, and a PermanentError at once', async () => {
    let calls = 0;
    const { topic, effects } = await setup('handler-fail', async (ev, m) => {
      const d = ev.data as { seq: number };
      if (d.seq === 1) {
        calls++;
        throw new Error('bug in handler');
      }
      if (d.seq === 2) throw new PermanentError('referral unknown to this service');
      await recordEffect(ev, m);
    });
    const dlq = await collect(kafka, `${topic}.dlq`);
    cleanups.push(() => dlq.stop());
    await producer.send({ topic, messages: [event('h', 1), event('h', 2), event('h', 3)] });
    await waitFor(async () => (await effects()).length === 1, { message: 'third event handled' });
    await waitFor(() => dlq.messages.length >= 2, { message: 'two messages dead-lettered' });
    expect(calls).toBe(3);
    expect(header(dlq.messages[0].message, 'dlq_reason')).toMatch(
      /handler failed 3 times: Error: bug in handler/,
    );
    expect(header(dlq.messages[1].message, 'dlq_reason')).toMatch(/rejected: referral unknown/);
  });

  it('waits out its database going away and handles everything once when it is back', async () => {
    const pg = new TempPostgres({ port: 25491, dataDir: path.join(tmpdir(), uniqueName('sp-pg')) });
    await pg.start();
    cleanups.push(() => pg.stop('immediate'));
    await pg.createDatabase('consumer_db_test');
    const { topic, effects } = await setup('db-away', recordEffect, pg.url('consumer_db_test'));
    await producer.send({ topic, messages: [event('d', 1)] });
    await waitFor(async () => (await effects()).length === 1, { message: 'first event handled' });

    await pg.stop('immediate');
    await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => event('d', i + 2)) });
    await new Promise((r) => setTimeout(r, 3000)); // let the consumer meet the dead database
    await pg.start();

    await waitFor(async () => (await effects()).length === 21, {
      timeoutMs: 90000,
      message: 'all 21 handled after the database came back',
    });
    const rows = await effects();
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.ce_id)).size).toBe(21);
  });

  it('rebuilds a consumer whose partition stands still behind its end while the others flow', async () => {
    const { topic, effects, consumer } = await setup('stuck-partition', recordEffect, undefined, {
      partitionStallMs: 3000,
    });
    const stalls = async () =>
      (await register.getSingleMetricAsString('sp_consumer_partition_stalls_total'))
        .split('\n')
        .filter((l) => l.includes(`consumer="it-stuck-partition"`))
        .map((l) => Number(l.split(' ').pop()))
        .reduce((a, b) => a + b, 0);
    const send = (partition: number, from: number, n: number) =>
      producer.send({
        topic,
        messages: Array.from({ length: n }, (_, i) => ({ ...event(`p${partition}`, from + i), partition })),
      });
    await send(0, 1, 5);
    await send(1, 1, 5);
    await waitFor(async () => (await effects()).length === 10, { message: 'the first 10 handled' });
    expect(await stalls()).toBe(0);

    // The symptom seen after a broker restart, made on purpose: partition 0 is still assigned and the
    // consumer still fetches and heartbeats, but no batch of partition 0 reaches it.
    const inner = (consumer as unknown as { consumer: Consumer }).consumer;
    inner.pause([{ topic, partitions: [0] }]);
    const t0 = Date.now();
    await send(0, 6, 5);
    await send(1, 6, 5);
    await waitFor(async () => (await effects()).filter((e) => e.key === 'p1').length === 10, {
      message: 'partition 1 flows',
    });
    expect((await effects()).filter((e) => e.key === 'p0')).toHaveLength(5);

    await waitFor(async () => (await effects()).filter((e) => e.key === 'p0').length === 10, {
      timeoutMs: 30_000,
      message: 'partition 0 handled after the consumer was rebuilt',
    });
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(3000); // not before the allowance ran out
    expect(await stalls()).toBe(1);
    const rows = await effects();
    expect(rows).toHaveLength(20);
    expect(new Set(rows.map((r) => r.ce_id)).size).toBe(20);
    expect(consumer.status).toBe('running');
  }, 60_000);

  it('leaves alone a partition that waits its turn behind a long batch of the same fetch', async () => {
    // One batch at a time, each event 400 ms: the partition handled second waits about 3 s for its
    // batch, past the 2 s allowance, without a fetch going by.
    const { topic, effects } = await setup(
      'waits-turn',
      async (ev, m) => {
        await new Promise((r) => setTimeout(r, 400));
        await recordEffect(ev, m);
      },
      undefined,
      { partitionStallMs: 2000, partitionsConcurrently: 1 },
    );
    await producer.send({
      topic,
      messages: [0, 1].flatMap((partition) =>
        Array.from({ length: 8 }, (_, i) => ({ ...event(`p${partition}`, i + 1), partition })),
      ),
    });
    await waitFor(async () => (await effects()).length >= 16, { message: '16 effects', timeoutMs: 30_000 });
    const stalls = (await register.getSingleMetricAsString('sp_consumer_partition_stalls_total'))
      .split('\n')
      .filter((l) => l.includes(`consumer="it-waits-turn"`))
      .map((l) => Number(l.split(' ').pop()))
      .reduce((a, b) => a + b, 0);
    expect(stalls).toBe(0);
    const rows = await effects();
    expect(rows).toHaveLength(16);
    expect(new Set(rows.map((r) => r.ce_id)).size).toBe(16);
  }, 60_000);
});
