/**
 * The machine's own limits, measured in the same run as the platform so the platform's figures can
 * be read as ratios: raw kafkajs produce-and-consume throughput, and raw Postgres single-row insert
 * transactions through `pg` with the services' pool size; and the CPU one Postgres round trip costs.
 */
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client, Pool } from 'pg';
import { processStats } from './proc';

export async function kafkaBaseline(brokers: string[], messages = 100_000): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench-baseline', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench.baseline.${Date.now()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const consumer = kafka.consumer({ groupId: `${topic}.group` });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: true });
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      received += batch.messages.length;
      if (received >= messages) done();
    },
  });
  const body = JSON.stringify({
    referralId: '00000000-0000-4000-8000-000000000000',
    pcnCode: 'U00001',
    needs: ['loneliness'],
    padding: 'x'.repeat(200),
  });
  const started = Date.now();
  const batch = 500;
  for (let sent = 0; sent < messages; sent += batch) {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: Math.min(batch, messages - sent) }, (_, i) => ({
        key: `k${(sent + i) % 997}`,
        value: body,
      })),
    });
  }
  await finished;
  const perSec = messages / ((Date.now() - started) / 1000);
  await Promise.all([producer.disconnect(), consumer.disconnect()]);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  return perSec;
}

export async function postgresBaseline(url: string, poolSize: number, seconds = 10): Promise<number> {
  const pool = new Pool({ connectionString: url, max: poolSize });
  await pool.query(
    `CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), body jsonb NOT NULL)`,
  );
  const deadline = Date.now() + seconds * 1000;
  let count = 0;
  const worker = async () => {
    const client = await pool.connect();
    try {
      while (Date.now() < deadline) {
        await client.query('BEGIN');
        await client.query(`INSERT INTO bench_baseline (body) VALUES ($1)`, [{ n: count }]);
        await client.query('COMMIT');
        count++;
      }
    } finally {
      client.release();
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: poolSize }, worker));
  const perSec = count / ((Date.now() - started) / 1000);
  await pool.query(`DROP TABLE bench_baseline`);
  await pool.end();
  return perSec;
}

/**
 * What one round trip to Postgres costs this machine: a prepared `SELECT $1::int` sent `count` times
 * in a row on one connection, as CPU microseconds per statement in this Node process (`node`, of which
 * `kernel` is system time: the socket writes and reads) and in its Postgres backend (`postgres`,
 * from /proc). Every statement the services send pays at least this.
 */
export async function postgresRoundTrip(
  url: string,
  count = 5_000,
): Promise<{ node: number; kernel: number; postgres: number }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows as { pid: number }[];
    const backendCpuUs = () => processStats([pid]).get(pid)!.cpuSeconds * 1e6;
    const send = (i: number) =>
      client.query({ name: 'round-trip', text: 'SELECT $1::int AS n', values: [i] });
    for (let i = 0; i < 500; i++) await send(i); // warm: the statement prepared, the code compiled
    const [node0, pg0] = [process.cpuUsage(), backendCpuUs()];
    for (let i = 0; i < count; i++) await send(i);
    const node = process.cpuUsage(node0);
    const pg = backendCpuUs() - pg0;
    return {
      node: (node.user + node.system) / count,
      kernel: node.system / count,
      postgres: pg / count,
    };
  } finally {
    await client.end();
  }
}
