import { INestApplication } from '@nestjs/common';
import { mintDevToken, type AuthClaims } from '@sp/auth';
import {
  eventTopic,
  makeEvent,
  toKafkaMessage,
  type CloudEvent,
  type EventData,
  type EventType,
} from '@sp/contracts';
import { createKafka } from '@sp/messaging';
import { createServiceDataSource } from '@sp/persistence';
import { bootstrapService } from '@sp/platform';
import { callJson, createTestDatabase, uniqueName, type Answer } from '@sp/testing';

export type { Answer } from '@sp/testing';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';

export const TEST_PORT = 3111;
export const BASE = `http://127.0.0.1:${TEST_PORT}/api/v1`;

type Producer = ReturnType<ReturnType<typeof createKafka>['producer']>;
type Consumer = ReturnType<ReturnType<typeof createKafka>['consumer']>;

export interface CollectedMessage {
  partition: number;
  offset: string;
  key: string;
  value: string;
  headers: string;
}

/**
 * The referral-intake service booted in this process against a database of its own and a consumer
 * group of its own (so a running copy of the service is neither disturbed nor disturbing), plus a
 * producer standing in for the consent and matching services and a collector of the referral topic.
 */
export class IntakeHarness {
  app!: INestApplication;
  ds!: DataSource;
  producer!: Producer;
  readonly collected: CollectedMessage[] = [];
  readonly logs: string[] = [];
  private collector?: Consumer;
  private drop?: () => Promise<void>;
  private restoreStreams?: () => void;

  /**
   * `port`: where the app listens (default TEST_PORT). `collect: false` skips collecting the referral
   * topic, for suites that publish tens of thousands of events and measure memory.
   */
  constructor(private readonly opts: { port?: number; collect?: boolean } = {}) {}

  get base(): string {
    return `http://127.0.0.1:${this.opts.port ?? TEST_PORT}/api/v1`;
  }

  async start(): Promise<void> {
    this.captureLogs();
    const db = await createTestDatabase(uniqueName('sp_test_intake'));
    this.drop = db.drop;
    process.env.REFERRAL_INTAKE_DATABASE_URL = db.url;
    const group = uniqueName('referral-intake-test');
    process.env.SP_CONSUMER_GROUP = group;

    const kafka = createKafka('intake-test');
    const admin = kafka.admin();
    await admin.connect();
    const start = await admin.fetchTopicOffsets('sp.referral.events.v1');
    // The shared topics hold every earlier run's events: start this group at their ends, so it
    // consumes what this suite publishes rather than wading through history first.
    for (const topic of ['sp.consent.events.v1', 'sp.matching.events.v1']) {
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({
        groupId: group,
        topic,
        partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
      });
    }
    await admin.disconnect();
    const startOffsets = new Map(start.map((p) => [p.partition, BigInt(p.high)]));
    if (this.opts.collect !== false) await this.startCollector(kafka, startOffsets);
    this.producer = kafka.producer();
    await this.producer.connect();

    // Imported only now: the module reads its database URL when it is first loaded.
    const { AppModule } = await import('../src/app.module');
    const { MIGRATIONS } = await import('../src/migrations');
    this.app = await bootstrapService({
      service: 'referral-intake',
      module: AppModule,
      title: 'Referral Intake (test)',
      migrations: MIGRATIONS,
      port: this.opts.port ?? TEST_PORT,
    });
    this.ds = createServiceDataSource({ url: db.url, poolSize: 3 });
    await this.ds.initialize();
  }

  private async startCollector(
    kafka: ReturnType<typeof createKafka>,
    startOffsets: Map<number, bigint>,
  ): Promise<void> {
    this.collector = kafka.consumer({ groupId: uniqueName('intake-test-collector') });
    await this.collector.connect();
    await this.collector.subscribe({ topic: 'sp.referral.events.v1', fromBeginning: true });
    await this.collector.run({
      eachMessage: async ({ partition, message }) => {
        if (BigInt(message.offset) < (startOffsets.get(partition) ?? 0n)) return;
        this.collected.push({
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? '',
          value: message.value?.toString('utf8') ?? '',
          headers: JSON.stringify(
            Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
          ),
        });
      },
    });
  }

  async stop(): Promise<void> {
    await this.app?.close();
    await this.producer?.disconnect();
    await this.collector?.disconnect();
    await this.ds?.destroy();
    await this.drop?.();
    this.restoreStreams?.();
  }

  /** Publishes an event as its producing service would, in CloudEvents binary mode. */
  async publish<T extends EventType>(
    type: T,
    data: EventData<T>,
    id: string = randomUUID(),
  ): Promise<string> {
    const ev = makeEvent(type, data, { id, source: '/test/stand-in' });
    await this.producer.send({ topic: eventTopic(type), messages: [toKafkaMessage(ev)] });
    return id;
  }

  /** Sends a message as-is, bypassing payload validation: what a faulty producer might put on a topic. */
  async publishRaw(topic: string, ev: CloudEvent): Promise<void> {
    await this.producer.send({ topic, messages: [toKafkaMessage(ev)] });
  }

  async count(table: string): Promise<number> {
    const [{ n }]: { n: string }[] = await this.ds.query(`SELECT count(*) AS n FROM ${table}`);
    return Number(n);
  }

  private captureLogs(): void {
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const tap =
      (original: typeof out) =>
      (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
        this.logs.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
      };
    process.stdout.write = tap(out) as typeof process.stdout.write;
    process.stderr.write = tap(err) as typeof process.stderr.write;
    this.restoreStreams = () => {
      process.stdout.write = out;
      process.stderr.write = err;
    };
  }
}

export async function tokenFor(claims: AuthClaims): Promise<string> {
  return mintDevToken(claims);
}

/** A request to the harness's service on TEST_PORT. */
export const call = <T = Record<string, unknown>>(
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> => callJson<T>(BASE, method, path, token, body, headers);
