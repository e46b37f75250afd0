import type { INestApplication } from '@nestjs/common';
import { mintDevToken, type AuthClaims } from '@sp/auth';
import {
  ALL_TOPICS,
  EVENT_CATALOGUE,
  validateEvent,
  type CloudEvent,
  type EventData,
  type EventType,
} from '@sp/contracts';
import {
  collectEvents,
  createEventPublisher,
  startConsumerGroupAtEnd,
  type EventCollector,
  type EventPublisher,
} from '@sp/messaging';
import { bootstrapService } from '@sp/platform';
import { createTestDatabase, uniqueName, waitFor } from '@sp/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';

/**
 * A CloudEvent as another service would publish it, its subject taken from the catalogue. Throws when
 * it breaks its contract: a scenario's events are valid unless a test builds a bad one on purpose.
 */
export function testEvent<T extends EventType>(type: T, data: EventData<T>, id = randomUUID()): CloudEvent {
  const subject = String((data as unknown as Record<string, unknown>)[EVENT_CATALOGUE[type].subjectField]);
  const event: CloudEvent = {
    id,
    type,
    source: 'test',
    specversion: '1.0',
    time: new Date().toISOString(),
    subject,
    datacontenttype: 'application/json',
    data,
  };
  const problems = validateEvent(event);
  if (problems.length) throw new Error(`test event ${type} breaks its contract: ${problems.join('; ')}`);
  return event;
}

export interface MetricsHarnessOptions {
  /** Names this suite's database, consumer group and Kafka clients. */
  name: string;
  port: number;
  /** Environment for the service (PCN_ICS_MAP and the like), restored after `stop()`. */
  env: Record<string, string>;
  /** A dev token is minted for each, under its key in `tokens`. */
  claims: Record<string, AuthClaims>;
}

/**
 * commissioning-metrics booted in this process on a test port, with a database of its own and a
 * consumer group of its own started at the ends of the topics it reads (so only the suite's events
 * count), a publisher standing in for the other services, and a collector of sp.analytics.events.v1.
 * The small-number rule is the default (threshold and rounding unset) unless `env` says otherwise.
 */
export class MetricsHarness {
  app!: INestApplication;
  ds!: DataSource;
  publisher!: EventPublisher;
  analytics!: EventCollector;
  readonly tokens: Record<string, string> = {};
  /** The service's consumer group (it names the consumer on dead letters). */
  readonly group: string;
  private readonly published: string[] = [];
  private readonly savedEnv = { ...process.env };
  private dropDb?: () => Promise<void>;

  constructor(private readonly opts: MetricsHarnessOptions) {
    this.group = uniqueName(opts.name);
  }

  get origin(): string {
    return `http://127.0.0.1:${this.opts.port}`;
  }

  async start(): Promise<void> {
    const { name } = this.opts;
    const db = await createTestDatabase(uniqueName(name.replace(/-/g, '_')));
    this.dropDb = db.drop;
    process.env.COMMISSIONING_METRICS_DATABASE_URL = db.url;
    process.env.SP_CONSUMER_GROUP = this.group;
    delete process.env.SMALL_NUMBER_THRESHOLD;
    delete process.env.ROUNDING_BASE;
    Object.assign(process.env, this.opts.env);
    await startConsumerGroupAtEnd(
      this.group,
      ALL_TOPICS.filter((t) => t !== 'sp.analytics.events.v1'),
      `${name}-admin`,
    );
    this.analytics = await collectEvents('sp.analytics.events.v1', `${name}-collector`);
    this.publisher = await createEventPublisher(`${name}-publisher`);
    const { AppModule } = await import('../src/app.module');
    const { MIGRATIONS } = await import('../src/migrations');
    this.app = await bootstrapService({
      service: 'commissioning-metrics',
      module: AppModule,
      title: 'Commissioning Metrics service',
      migrations: MIGRATIONS,
      port: this.opts.port,
    });
    this.ds = this.app.get(DataSource);
    for (const [key, c] of Object.entries(this.opts.claims)) this.tokens[key] = await mintDevToken(c);
  }

  async stop(): Promise<void> {
    await this.app?.close();
    await this.publisher?.close();
    await this.analytics?.stop();
    await this.dropDb?.();
    process.env = this.savedEnv;
  }

  /** Publishes and remembers the ids, so that `allConsumed` can wait until the service has them all. */
  readonly send = async (...events: CloudEvent[]): Promise<void> => {
    this.published.push(...events.map((e) => e.id));
    await this.publisher.publish(...events);
  };

  /** Waits until every event sent so far is in the service's inbox. */
  readonly allConsumed = async (): Promise<void> => {
    const ids = [...new Set(this.published)];
    await waitFor(
      async () => {
        const [{ n }]: { n: number }[] = await this.ds.query(
          `SELECT count(DISTINCT ce_id)::int AS n FROM inbox WHERE ce_id::text = ANY($1::text[])`,
          [ids],
        );
        return n === ids.length;
      },
      { timeoutMs: 60000, message: `all ${ids.length} published events to be consumed` },
    );
  };

  /** GET under /api/v1: JSON bodies parsed, anything else (CSV) as text. */
  readonly get = async <T>(
    path: string,
    token: string | undefined,
  ): Promise<{ status: number; body: T; type: string }> => {
    const res = await fetch(`${this.origin}/api/v1${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, body: (type.includes('json') ? JSON.parse(text) : text) as T, type };
  };
}
