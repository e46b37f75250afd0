import { EventEmitter } from 'node:events';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { EventConsumer, msFromEnv } from './event-consumer';

const EVENTS = {
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  GROUP_JOIN: 'consumer.group_join',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  HEARTBEAT: 'consumer.heartbeat',
  CRASH: 'consumer.crash',
};

/**
 * The watchdog's timing, with a stand-in for kafkajs's consumer: each one joins its group, and the
 * first then falls silent (no fetch, no heartbeat) and never finishes disconnecting, as the consumer
 * seen in the chaos test did. What Kafka does is covered by the integration specs; this is the timer.
 */
function standIn(opts: { silentFirst: boolean; fetchEveryMs?: number }) {
  const made: (EventEmitter & { disconnected: boolean })[] = [];
  const kafka = {
    consumer: () => {
      const c = Object.assign(new EventEmitter(), { disconnected: false });
      const n = made.push(c);
      let ticker: NodeJS.Timeout | undefined;
      return {
        events: EVENTS,
        on: (e: string, fn: (...a: unknown[]) => void) => c.on(e, fn),
        connect: async () => undefined,
        subscribe: async () => undefined,
        run: async () => {
          setImmediate(() => c.emit(EVENTS.GROUP_JOIN, { payload: { memberAssignment: {} } }));
          if (!(opts.silentFirst && n === 1) && opts.fetchEveryMs) {
            ticker = setInterval(() => c.emit(EVENTS.FETCH, {}), opts.fetchEveryMs);
          }
        },
        disconnect: () => {
          clearInterval(ticker);
          if (opts.silentFirst && n === 1) return new Promise<void>(() => undefined); // never ends
          c.disconnected = true;
          return Promise.resolve();
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, made };
}

const consumerOf = (kafka: Kafka, stallMs: number) =>
  new EventConsumer({
    name: 'stall-test',
    kafka,
    dataSource: {} as DataSource,
    topics: ['sp.referral.events.v1'],
    handlers: {},
    stallMs,
  });

describe('EventConsumer watchdog', () => {
  it('rebuilds a running consumer that falls silent, even one that never finishes disconnecting', async () => {
    const { kafka, made } = standIn({ silentFirst: true, fetchEveryMs: 50 });
    const consumer = consumerOf(kafka, 400);
    await consumer.start();
    const t0 = Date.now();
    while (made.length < 2 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    expect(made).toHaveLength(2);
    // Silent for 400 ms, seen within a check (every 133 ms), then the restart backoff (500 ms) and a
    // 10 s wait on the disconnect that never ends.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    await new Promise((r) => setTimeout(r, 1000));
    expect(consumer.status).toBe('running');
    expect(made).toHaveLength(2); // the new one fetches: no further rebuild
    await consumer.stop();
  }, 30_000);

  it('leaves alone a consumer that keeps fetching', async () => {
    const { kafka, made } = standIn({ silentFirst: false, fetchEveryMs: 50 });
    const consumer = consumerOf(kafka, 300);
    await consumer.start();
    await new Promise((r) => setTimeout(r, 1500));
    expect(made).toHaveLength(1);
    expect(consumer.status).toBe('running');
    await consumer.stop();
    expect(made[0].disconnected).toBe(true);
  });
});

describe('EventConsumer partition check', () => {
  /**
   * A stand-in whose broker says partition 0 of the topic is 5 behind and never moves; the one batch
   * handed over is a poison message whose dead-lettering hangs until released, so the batch is in hand
   * while the group is rejoined. What Kafka does is covered by event-consumer.int-spec.ts.
   */
  it('still sees a stuck partition after a rejoin that happened while one of its batches was in hand', async () => {
    const topic = 'sp.referral.events.v1';
    let releaseSend!: () => void;
    const sendHeld = new Promise<void>((r) => (releaseSend = r));
    const made: EventEmitter[] = [];
    let eachBatch!: (p: unknown) => Promise<void>;
    const kafka = {
      consumer: () => {
        const c = new EventEmitter();
        made.push(c);
        return {
          events: EVENTS,
          on: (e: string, fn: (...a: unknown[]) => void) => c.on(e, fn),
          connect: async () => undefined,
          subscribe: async () => undefined,
          run: async (o: { eachBatch: (p: unknown) => Promise<void> }) => {
            eachBatch = o.eachBatch;
            setImmediate(() =>
              c.emit(EVENTS.GROUP_JOIN, { payload: { memberAssignment: { [topic]: [0] } } }),
            );
          },
          disconnect: async () => undefined,
        };
      },
      producer: () => ({
        connect: async () => undefined,
        disconnect: async () => undefined,
        send: () => sendHeld,
      }),
      admin: () => ({
        connect: async () => undefined,
        disconnect: async () => undefined,
        fetchOffsets: async () => [{ topic, partitions: [{ partition: 0, offset: '5' }] }],
        fetchTopicOffsets: async () => [{ partition: 0, offset: '10', high: '10', low: '0' }],
      }),
    } as unknown as Kafka;
    const consumer = new EventConsumer({
      name: 'partition-test',
      kafka,
      dataSource: {} as DataSource,
      topics: [topic],
      handlers: {},
      stallMs: 60_000,
      partitionStallMs: 400,
    });
    await consumer.start();
    while (!eachBatch) await new Promise((r) => setTimeout(r, 10));
    const batch = eachBatch({
      batch: { topic, partition: 0, messages: [{ offset: '5', key: null, value: Buffer.from('{not json') }] },
      resolveOffset: () => undefined,
      heartbeat: async () => undefined,
      commitOffsetsIfNecessary: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    });
    // In hand for well past the allowance: no rebuild while it is.
    await new Promise((r) => setTimeout(r, 300));
    made[0].emit(EVENTS.GROUP_JOIN, { payload: { memberAssignment: { [topic]: [0] } } }); // a rejoin
    await new Promise((r) => setTimeout(r, 900));
    expect(made).toHaveLength(1);
    releaseSend();
    await batch;
    const t0 = Date.now();
    while (made.length < 2 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(made).toHaveLength(2); // rebuilt once the batch was out of hand and the allowance had run
    await consumer.stop();
  }, 20_000);
});

describe('msFromEnv', () => {
  it('reads a whole number of milliseconds, 0 included, and falls back when unset or empty', () => {
    expect(msFromEnv('X_MS', 45_000, {})).toBe(45_000);
    expect(msFromEnv('X_MS', 45_000, { X_MS: ' ' })).toBe(45_000);
    expect(msFromEnv('X_MS', 45_000, { X_MS: '20000' })).toBe(20_000);
    expect(msFromEnv('X_MS', 45_000, { X_MS: '0' })).toBe(0);
  });

  it('refuses anything else, naming the variable', () => {
    for (const bad of ['20s', '-1', '1.5', 'off']) {
      expect(() => msFromEnv('CONSUMER_PARTITION_STALL_MS', 1, { CONSUMER_PARTITION_STALL_MS: bad })).toThrow(
        `CONSUMER_PARTITION_STALL_MS must be a whole number of milliseconds, 0 or more (got "${bad}")`,
      );
    }
  });
  it('holds a minimum when given one, and says so', () => {
    expect(msFromEnv('HTTP_KEEP_ALIVE_MS', 65_000, { HTTP_KEEP_ALIVE_MS: '1000' }, 1000)).toBe(1000);
    expect(() => msFromEnv('HTTP_KEEP_ALIVE_MS', 65_000, { HTTP_KEEP_ALIVE_MS: '999' }, 1000)).toThrow(
      'HTTP_KEEP_ALIVE_MS must be a whole number of milliseconds, at least 1000 (got "999")',
    );
  });
});
