import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  ANALYTICS_LOAD_CHANGED_V1,
  ANALYTICS_OUTCOME_RECORDED_V1,
  ANALYTICS_STATUS_CHANGED_V1,
  fromKafkaMessage,
  Topics,
  validateEvent,
  type CloudEvent,
  type KafkaIncomingMessage,
} from '@sp/contracts';
import { KAFKA_CLIENT } from '@sp/messaging';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Subject, type Observable } from 'rxjs';

// The few kafkajs calls the tail needs, typed structurally: kafkajs itself stays inside @sp/messaging.
interface TailConsumer {
  connect(): Promise<void>;
  subscribe(opts: { topic: string; fromBeginning: boolean }): Promise<void>;
  run(opts: { eachMessage: (payload: { message: KafkaIncomingMessage }) => Promise<void> }): Promise<void>;
  disconnect(): Promise<void>;
  on(event: string, listener: (e: { payload?: { restart?: boolean } }) => void): () => void;
  events: { GROUP_JOIN: string; FETCH: string; CRASH: string };
}
interface TailKafka {
  consumer(opts: { groupId: string; allowAutoTopicCreation: boolean; sessionTimeout?: number }): TailConsumer;
}

const STREAMED: readonly string[] = [
  ANALYTICS_STATUS_CHANGED_V1,
  ANALYTICS_LOAD_CHANGED_V1,
  ANALYTICS_OUTCOME_RECORDED_V1,
];

/**
 * Tails sp.analytics.events.v1 for the `/stream` clients of this instance. Every instance reads the
 * whole topic under a group of its own (not the service's inbox group, which splits partitions
 * between instances), from the newest offset: the stream is live, not a replay. What it pushes is
 * what the topic holds, so a client sees exactly what ICS dashboards consuming the topic see.
 */
@Injectable()
export class AnalyticsStream implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('analytics-stream');
  private readonly subject = new Subject<CloudEvent>();
  private consumer?: TailConsumer;
  private stopped = false;
  private readyResolve!: () => void;
  /** Resolves once the tail has joined and fetched: events published after this reach clients. */
  readonly ready = new Promise<void>((resolve) => (this.readyResolve = resolve));

  constructor(@Inject(KAFKA_CLIENT) private readonly kafka: TailKafka) {}

  get events(): Observable<CloudEvent> {
    return this.subject.asObservable();
  }

  onApplicationBootstrap(): void {
    // In the background: the service serves its figures while Kafka is away, and the tail catches up.
    void this.startWithRetry();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.subject.complete();
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private async startWithRetry(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.start();
        return;
      } catch (err) {
        this.log.warn(`analytics tail failed to start (${err instanceof Error ? err.message : 'error'})`);
        await this.consumer?.disconnect().catch(() => undefined);
        await new Promise((r) => setTimeout(r, Math.min(15000, 500 * 2 ** attempt)));
      }
    }
  }

  private async start(): Promise<void> {
    const group = `commissioning-metrics-stream-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const consumer = this.kafka.consumer({
      groupId: group,
      allowAutoTopicCreation: false,
      sessionTimeout: 10000,
    });
    this.consumer = consumer;
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    consumer.on(consumer.events.FETCH, () => {
      if (joined) this.readyResolve();
    });
    // kafkajs restarts itself after retriable failures; when it gives up, start a new tail.
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload?.restart !== false || this.stopped) return;
      void consumer.disconnect().catch(() => undefined);
      void this.startWithRetry();
    });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.Analytics, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        let ev: CloudEvent;
        try {
          ev = fromKafkaMessage(message);
        } catch {
          return; // Not ours to dead-letter: the stream only shows what is well-formed.
        }
        if (!STREAMED.includes(ev.type) || validateEvent(ev).length > 0) return;
        this.subject.next(ev);
      },
    });
  }
}
