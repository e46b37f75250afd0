import type { INestApplication } from '@nestjs/common';
import type { CloudEvent, EventData, EventType } from '@sp/contracts';
import {
  collectEvents,
  createEventPublisher,
  startConsumerGroupAtEnd,
  type EventCollector,
  type EventPublisher,
} from '@sp/messaging';
import { bootstrapService } from '@sp/platform';
import { createTestDatabase, uniqueName } from '@sp/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module';
import { MIGRATIONS } from '../src/migrations';

/** What matching reads. Its consumer group starts at their current ends: it sees only the suite's events. */
export const MATCHING_TOPICS = [
  'sp.referral.events.v1',
  'sp.consent.events.v1',
  'sp.capacity.events.v1',
  'sp.matching.events.v1',
];

/** A CloudEvent as another service would publish it. */
export function testEvent<T extends EventType>(
  type: T,
  data: EventData<T>,
  subject: string,
  source = 'test',
): CloudEvent {
  return {
    id: randomUUID(),
    type,
    source,
    specversion: '1.0',
    time: new Date().toISOString(),
    subject,
    datacontenttype: 'application/json',
    data,
  };
}

export const now = () => new Date().toISOString();

/**
 * Matching booted in this process, one instance per port, on a database of its own with a consumer
 * group and queue prefix of its own; a publisher standing in for the other services, a collector of
 * sp.matching.events.v1, and a connection of the test's own to the database.
 */
export class MatchingHarness {
  readonly apps: INestApplication[] = [];
  ds!: DataSource;
  publisher!: EventPublisher;
  matchingTopic!: EventCollector;
  private readonly savedEnv = { ...process.env };
  private dropDb?: () => Promise<void>;

  /** `env`: set for the service before it boots (undefined removes a variable), restored by `stop()`. */
  constructor(
    private readonly opts: { name: string; ports: number[]; env?: Record<string, string | undefined> },
  ) {}

  get app(): INestApplication {
    return this.apps[0];
  }

  async start(): Promise<void> {
    const { name } = this.opts;
    const db = await createTestDatabase(uniqueName(`sp_test_${name.replace(/-/g, '_')}`));
    this.dropDb = db.drop;
    process.env.MATCHING_DATABASE_URL = db.url;
    process.env.SP_CONSUMER_GROUP = uniqueName(name);
    process.env.SP_QUEUE_PREFIX = uniqueName(name);
    for (const [key, value] of Object.entries(this.opts.env ?? {})) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await startConsumerGroupAtEnd(process.env.SP_CONSUMER_GROUP, MATCHING_TOPICS);
    for (const port of this.opts.ports) await this.boot(port);
    this.ds = new DataSource({ type: 'postgres', url: db.url });
    await this.ds.initialize();
    this.publisher = await createEventPublisher(name);
    this.matchingTopic = await collectEvents('sp.matching.events.v1', name);
  }

  /** Boots one more instance (a restart, after a test closed one) and adds it to `apps`. */
  async boot(port: number): Promise<INestApplication> {
    const app = await bootstrapService({
      service: 'matching',
      module: AppModule,
      title: 'matching',
      migrations: MIGRATIONS,
      port,
    });
    this.apps.push(app);
    return app;
  }

  async stop(): Promise<void> {
    for (const app of this.apps) await app.close();
    await this.matchingTopic?.stop();
    await this.publisher?.close();
    if (this.ds?.isInitialized) await this.ds.destroy();
    await this.dropDb?.();
    process.env = this.savedEnv;
  }
}
