import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { KafkaBroker } from './kafka-broker';
import { isPortOpen } from './support/net';
import { waitUntil } from './support/wait';

// A disposable broker of its own, away from the stack's 9092, so that killing it disturbs nobody.
const PORT = 19192;
const CONTROLLER_PORT = 19193;

describe('KafkaBroker (disposable, restarted under data)', () => {
  let dataDir: string;
  let broker: KafkaBroker;
  let kafka: Kafka;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sp-kafka-it-'));
    broker = new KafkaBroker({ port: PORT, controllerPort: CONTROLLER_PORT, dataDir, heapMb: 384 });
    kafka = new Kafka({ clientId: 'infra-it', brokers: broker.brokers, logLevel: logLevel.NOTHING });
    await broker.start();
  });

  afterAll(async () => {
    await broker?.stop('SIGKILL');
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function createTopic(topic: string, partitions: number): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
    } finally {
      await admin.disconnect();
    }
  }

  async function produce(topic: string, values: string[]): Promise<void> {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: value, value })) });
    } finally {
      await producer.disconnect();
    }
  }

  async function consumeAll(topic: string, expected: number): Promise<string[]> {
    const consumer = kafka.consumer({ groupId: `infra-it-${topic}-${Date.now()}` });
    const seen: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value?.toString() ?? '');
        },
      });
      await waitUntil(async () => seen.length >= expected, {
        timeoutMs: 60_000,
        intervalMs: 100,
        what: `${expected} messages on ${topic} (got ${seen.length})`,
      });
    } finally {
      await consumer.disconnect();
    }
    return seen;
  }

  const values = (prefix: string) => Array.from({ length: 100 }, (_, i) => `${prefix}-${i}`);

  it('is running, writes its pid file and logs to a file', async () => {
    expect(await broker.isRunning()).toBe(true);
    const pid = Number((await fs.readFile(broker.pidFile, 'utf8')).trim());
    expect(pid).toBeGreaterThan(0);
    expect((await fs.stat(broker.logFile)).size).toBeGreaterThan(0);
  });

  it('keeps topics and messages across a clean stop (SIGTERM) and start', async () => {
    await createTopic('it.restart.term', 3);
    const sent = values('term');
    await produce('it.restart.term', sent);

    await broker.stop('SIGTERM');
    expect(await broker.isRunning()).toBe(false);
    expect(await isPortOpen('127.0.0.1', PORT)).toBe(false);
    expect(await isPortOpen('127.0.0.1', CONTROLLER_PORT)).toBe(false);

    await broker.start();
    const got = await consumeAll('it.restart.term', sent.length);
    expect([...got].sort()).toEqual([...sent].sort());
  });

  it('recovers after being killed (SIGKILL) with every acknowledged message', async () => {
    await createTopic('it.restart.kill', 3);
    const sent = values('kill');
    await produce('it.restart.kill', sent);

    await broker.stop('SIGKILL');
    expect(await broker.isRunning()).toBe(false);
    expect(await isPortOpen('127.0.0.1', PORT)).toBe(false);

    await broker.start();
    const got = await consumeAll('it.restart.kill', sent.length);
    expect([...got].sort()).toEqual([...sent].sort());
    // The earlier topic survived the kill too.
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toEqual(
        expect.arrayContaining(['it.restart.term', 'it.restart.kill']),
      );
    } finally {
      await admin.disconnect();
    }
  });

  it('refuses to start a second broker on a port that is taken', async () => {
    const other = new KafkaBroker({
      port: PORT,
      controllerPort: CONTROLLER_PORT,
      dataDir: path.join(dataDir, 'other'),
    });
    await expect(other.start()).rejects.toThrow(/already in use/);
  });

  it('fails start-up with the tail of the broker log when the broker cannot run', async () => {
    const clash = new KafkaBroker({
      port: 19194,
      controllerPort: 19195,
      dataDir: path.join(dataDir, 'bad'),
      heapMb: 8, // far too small for a broker: the JVM exits on OutOfMemoryError while starting
      readyTimeoutMs: 60_000,
    });
    await expect(clash.start()).rejects.toThrow(/exited during start-up[\s\S]*last lines of/);
    expect(await clash.isRunning()).toBe(false);
  });
});
