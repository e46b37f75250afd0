import { kafkaBrokers } from './kafka-client';
import { createTopics, testKafka } from '../test/messaging-fixtures';

/**
 * kafkajs 2.2.4 re-arms a 1 ms timer forever on every broker connection once it has answered a
 * request (kafkajs#1556): an idle service woke about 1,500 times a second and spent 4-5% of a core
 * doing nothing. patches/kafkajs+2.2.4.patch (applied by `npm ci`'s postinstall) stops it. These
 * tests fail on an unpatched kafkajs.
 */
describe('kafkajs on an idle connection (patched request queue)', () => {
  const kafka = testKafka(kafkaBrokers(), 'idle-timers-test');

  /** setTimeout calls of 1 ms or less made while `idle` runs. */
  async function shortTimersDuring(idle: () => Promise<void>): Promise<number> {
    const original = global.setTimeout;
    let short = 0;
    const spy = jest.spyOn(global, 'setTimeout').mockImplementation(((
      fn: (...a: unknown[]) => void,
      ms?: number,
      ...args: unknown[]
    ) => {
      if ((ms ?? 0) <= 1) short++;
      return original(fn, ms, ...args);
    }) as typeof setTimeout);
    try {
      await idle();
    } finally {
      spy.mockRestore();
    }
    return short;
  }

  it('schedules no busy timer between requests', async () => {
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    try {
      await admin.listTopics(); // each connection has now answered a request
      const short = await shortTimersDuring(() => new Promise((r) => setTimeout(r, 1000)));
      // Unpatched: about a thousand in this second (one per millisecond per connection).
      expect(short).toBeLessThan(20);
      // And the connections still answer.
      await expect(admin.listTopics()).resolves.toEqual(expect.any(Array));
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('still sends requests that had to wait their turn', async () => {
    // One request in flight per connection: concurrent sends queue as pending requests and go out as
    // answers come back (the path the patch leaves in place).
    const topic = `idle-timers-${Date.now()}`;
    const admin = kafka.admin();
    const producer = kafka.producer({ maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await admin.connect();
    await createTopics(admin, [topic], 1);
    await producer.connect();
    try {
      const sends = Array.from({ length: 20 }, (_, i) =>
        producer.send({ topic, acks: -1, messages: [{ key: 'k', value: String(i) }] }),
      );
      await Promise.all(sends);
      const [{ high }] = await admin.fetchTopicOffsets(topic);
      expect(Number(high)).toBe(20);
    } finally {
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
