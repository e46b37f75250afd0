import { KafkaBroker } from '@sp/infra';
import { createTestDatabase, uniqueName, waitFor } from '@sp/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { createKafka } from './kafka-client';
import { OutboxRelay } from './outbox-relay';
import { OutboxWriter } from './outbox-writer';
import {
  createTopics,
  openTestDataSource,
  TEST_EVENT,
  testKafka,
  testRegistry,
} from '../test/messaging-fixtures';

/**
 * The foundation's promise (invariant 4): events written in committed transactions all arrive, once
 * in effect, while the broker is stopped and restarted mid-stream and the consumer process is
 * SIGKILLed mid-batch.
 */
describe('outbox to inbox across a broker restart and a SIGKILLed consumer', () => {
  const broker = new KafkaBroker({
    port: 19392,
    controllerPort: 19393,
    dataDir: mkdtempSync(path.join(tmpdir(), 'sp-kafka-')),
  });
  const topic = 'test.reliability.events';
  const group = 'reliability-consumer';
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let relay: OutboxRelay;
  let child: ChildProcess | undefined;

  const startConsumer = () => {
    child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', path.join(__dirname, '../test/consumer-process.ts')],
      {
        env: {
          ...process.env,
          DB_URL: db.url,
          BROKERS: broker.brokers.join(','),
          TOPIC: topic,
          GROUP: group,
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  };
  const effects = async () =>
    (
      await ds.query(`SELECT count(*)::int AS rows, count(DISTINCT ce_id)::int AS events FROM effects`)
    )[0] as {
      rows: number;
      events: number;
    };

  beforeAll(async () => {
    await broker.start();
    const admin = testKafka(broker.brokers).admin();
    await admin.connect();
    await createTopics(admin, [topic, `${topic}.dlq`], 3);
    await admin.disconnect();
    db = await createTestDatabase(uniqueName('sp_test_reliability'));
    ds = await openTestDataSource(db.url, 10);
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await relay?.stop();
    await ds?.destroy();
    await db?.drop();
    await broker.stop('SIGKILL');
  });

  it('delivers every committed event exactly once in effect', async () => {
    relay = new OutboxRelay({
      dataSource: ds,
      kafka: createKafka('reliability-relay', broker.brokers),
      name: 'relay',
    });
    relay.start();
    startConsumer();
    const writer = new OutboxWriter('reliability-test', testRegistry(topic));
    const total = 3000;
    const keys = 30;
    let written = 0;
    const write = async (n: number) => {
      for (let i = 0; i < n; i += 10) {
        await ds.transaction((m) =>
          writer.enqueueMany(
            m,
            Array.from({ length: 10 }, () => {
              const seq = written++;
              return { type: TEST_EVENT, subject: `k${seq % keys}`, data: { key: `k${seq % keys}`, seq } };
            }),
          ),
        );
      }
    };
    // Rolled-back work in the middle of the stream must never surface.
    await ds
      .transaction(async (m) => {
        await writer.enqueue(m, { type: TEST_EVENT, subject: 'ghost', data: { key: 'ghost', seq: -1 } });
        throw new Error('rolled back');
      })
      .catch(() => undefined);

    await write(1000);
    await waitFor(async () => (await effects()).rows >= 300, { message: 'consumer under way' });

    // 1. SIGKILL the consumer mid-batch, and keep writing while it is dead.
    child!.kill('SIGKILL');
    const killedAt = await effects();
    await write(500);
    startConsumer();

    // 2. Stop the broker mid-stream; writes go on committing into the outbox meanwhile.
    await waitFor(async () => (await effects()).rows >= killedAt.rows + 300, {
      timeoutMs: 90000,
      message: 'consumer resumed after SIGKILL',
    });
    await broker.stop('SIGKILL');
    await write(1000);
    await broker.start();
    await write(500);

    await waitFor(async () => (await effects()).events >= total, {
      timeoutMs: 150000,
      intervalMs: 500,
      message: `all ${total} events applied`,
    });
    await new Promise((r) => setTimeout(r, 2000)); // a late duplicate application would show now
    const final = await effects();
    const [{ ghosts }] = await ds.query(`SELECT count(*)::int AS ghosts FROM effects WHERE key = 'ghost'`);
    const [{ unpublished }] = await ds.query(
      `SELECT count(*)::int AS unpublished FROM outbox WHERE published_at IS NULL`,
    );
    const perKey: { key: string; ordered: boolean }[] = await ds.query(
      `SELECT key, bool_and(seq > prev) AS ordered FROM (
         SELECT key, seq, lag(seq, 1, -1) OVER (PARTITION BY key ORDER BY n) AS prev FROM effects) s GROUP BY key`,
    );
    console.log(
      `reliability: ${total} events, effects ${final.rows} rows for ${final.events} events; killed consumer at ${killedAt.rows}; broker SIGKILLed and restarted once`,
    );
    expect(final).toEqual({ rows: total, events: total });
    expect(ghosts).toBe(0);
    expect(unpublished).toBe(0);
    expect(perKey.filter((k) => !k.ordered)).toEqual([]);
  });
});
