/**
 * A consumer in a process of its own, so the reliability spec can SIGKILL it mid-batch. Each handled
 * event appends a row to `effects` (no uniqueness there: a double application would show as a
 * second row) and takes a little time, so a kill lands between messages of a batch.
 */
import { createServiceDataSource } from '@sp/persistence';
import { EventConsumer } from '../src/event-consumer';
import { createKafka } from '../src/kafka-client';
import { TEST_EVENT, testRegistry } from './messaging-fixtures';

async function main() {
  const { DB_URL, BROKERS, TOPIC, GROUP } = process.env as Record<string, string>;
  const ds = createServiceDataSource({ url: DB_URL, poolSize: 3 });
  await ds.initialize();
  const consumer = new EventConsumer({
    name: GROUP,
    kafka: createKafka(GROUP, BROKERS.split(',')),
    dataSource: ds,
    topics: [TOPIC],
    registry: testRegistry(TOPIC),
    sessionTimeoutMs: 6000,
    handlers: {
      [TEST_EVENT]: async (ev, m) => {
        const d = ev.data as { key: string; seq: number };
        await m.query(`INSERT INTO effects (ce_id, key, seq) VALUES ($1, $2, $3)`, [ev.id, d.key, d.seq]);
        await new Promise((r) => setTimeout(r, 2));
      },
    },
  });
  await consumer.start();
  process.stdout.write('consumer started\n');
  process.on('SIGTERM', () => {
    void consumer.stop().then(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
