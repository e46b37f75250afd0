import { Logger } from '@nestjs/common';
import { toKafkaMessage, type CloudEvent } from '@sp/contracts';
import { Kafka, Partitioners, Producer, TopicMessages } from 'kafkajs';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { messagingMetrics } from './metrics';
import { OUTBOX_LANES } from './outbox-writer';
import { backoffMs, sleep } from './transient-error';

const LOCK_NAMESPACE = 0x5350; // "SP": advisory locks are per database, one per outbox lane

interface OutboxRow {
  id: string;
  ce_id: string;
  topic: string;
  key: string;
  type: string;
  source: string;
  time: Date;
  data: unknown;
  created_at: Date;
}

export interface OutboxRelayOptions {
  dataSource: DataSource;
  kafka: Kafka;
  batchSize?: number;
  /** A safety net only: NOTIFY wakes the relay at commit. */
  pollIntervalMs?: number;
  /** Published rows are kept this long for audit and replay, then purged. */
  retentionHours?: number;
  name?: string;
}

/**
 * Publishes committed outbox rows to Kafka. Each pass takes the advisory locks of the lanes no other
 * relay holds, claims their oldest unpublished rows with `FOR UPDATE SKIP LOCKED` and marks them
 * published (one statement), sends them with a producer (acks=all) and commits; a failed send rolls
 * the mark back. A crash between the send and the commit republishes the rows: consumers absorb the
 * duplicate by `ce_id`.
 */
export class OutboxRelay {
  private readonly log: Logger;
  private producer?: Producer;
  private listener?: Client;
  private running = false;
  private wake?: () => void;
  private pending = false;
  private loop?: Promise<void>;
  private lastPurge = 0;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly retentionHours: number;

  constructor(private readonly opts: OutboxRelayOptions) {
    this.log = new Logger(opts.name ?? 'OutboxRelay');
    this.batchSize = opts.batchSize ?? 500;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.retentionHours = opts.retentionHours ?? Number(process.env.OUTBOX_RETENTION_HOURS ?? 24);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }

  /** Publishes everything committed so far; returns how many rows were published. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.publishBatch();
      total += n;
      if (n < this.batchSize) return total;
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        await this.ensureListening();
        this.pending = false;
        await this.drain();
        failures = 0;
        await this.purgeIfDue();
        if (!this.pending) await this.sleepUntilWoken(this.pollIntervalMs);
      } catch (err) {
        messagingMetrics.outboxPublishErrors.inc();
        const wait = backoffMs(failures++, 200, 5000);
        this.log.warn(`publish pass failed (${describe(err)}); retrying in ${wait} ms`);
        await this.sleepUntilWoken(wait);
      }
    }
  }

  private sleepUntilWoken(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  /** A dedicated connection LISTENs for the outbox trigger's NOTIFY, which Postgres sends at commit. */
  private async ensureListening(): Promise<void> {
    if (this.listener) return;
    const options = this.opts.dataSource.options as { url?: string };
    const client = new Client({ connectionString: options.url, connectionTimeoutMillis: 5000 });
    client.on('notification', () => {
      this.pending = true;
      this.wake?.();
    });
    client.on('error', (err) => {
      this.log.warn(`outbox listener lost its connection (${describe(err)})`);
      if (this.listener === client) this.listener = undefined;
      void client.end().catch(() => undefined);
    });
    await client.connect();
    await client.query('LISTEN sp_outbox');
    this.listener = client;
  }

  private async getProducer(): Promise<Producer> {
    if (!this.producer) {
      // No retries inside kafkajs: the outbox is the retry. kafkajs 2.2.4 keeps, across its own retries
      // of one send, the answers of the brokers that succeeded; when a partition's leader dies and the
      // partition moves to one of those brokers, the retry skips it and send() resolves with that
      // partition's messages never written (kafkajs#1303, fix proposed in kafkajs#1798; seen here as
      // events lost in e2e/chaos/kafka-cluster.int-spec.ts). So any failure fails the whole pass, the
      // rows stay unpublished and the next pass sends them all again, from a fresh producer; a
      // partition that had taken them gets them twice and its consumers' inboxes absorb the copy.
      // kafkajs refuses an idempotent producer without retries, and with one request in flight per
      // broker and acks=all, idempotence adds nothing the inbox does not already give.
      const producer = this.opts.kafka.producer({
        idempotent: false,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: 0 },
      });
      await producer.connect();
      this.producer = producer;
    }
    return this.producer;
  }

  private async publishBatch(): Promise<number> {
    const qr = this.opts.dataSource.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      // Claimed and marked published in one statement; a failed send rolls the mark back.
      const claimed = await qr.query(
        `WITH lanes AS MATERIALIZED (
           SELECT l FROM generate_series(0, $1::int - 1) AS l WHERE pg_try_advisory_xact_lock($2::int, l)
         ), claimed AS (
           SELECT o.id FROM outbox o
            WHERE o.published_at IS NULL AND o.lane IN (SELECT l FROM lanes)
            ORDER BY o.id
            LIMIT $3
            FOR UPDATE OF o SKIP LOCKED
         )
         UPDATE outbox o SET published_at = now(), attempts = o.attempts + 1, last_error = NULL
           FROM claimed WHERE o.id = claimed.id
         RETURNING o.id, o.ce_id, o.topic, o.key, o.type, o.source, o.time, o.data, o.created_at`,
        [OUTBOX_LANES, LOCK_NAMESPACE, this.batchSize],
        true, // the rows themselves (for an UPDATE, TypeORM otherwise answers [rows, count])
      );
      const rows = claimed.records as OutboxRow[];
      if (rows.length === 0) {
        await qr.commitTransaction();
        return 0;
      }
      // RETURNING has no order: the rows go out in the order they were written (per key, the order).
      rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      try {
        const producer = await this.getProducer();
        await producer.sendBatch({ topicMessages: groupByTopic(rows), acks: -1 });
      } catch (err) {
        // The producer may be wedged after a broker outage; a fresh one is cheap.
        await this.producer?.disconnect().catch(() => undefined);
        this.producer = undefined;
        throw err;
      }
      await qr.commitTransaction();
      const now = Date.now();
      for (const r of rows) {
        messagingMetrics.outboxPublished.inc({ topic: r.topic });
        messagingMetrics.outboxLag.observe((now - new Date(r.created_at).getTime()) / 1000);
      }
      return rows.length;
    } catch (err) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await qr.release();
    }
  }

  private async purgeIfDue(): Promise<void> {
    if (Date.now() - this.lastPurge < 60_000) return;
    this.lastPurge = Date.now();
    await this.opts.dataSource.query(
      `DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < now() - make_interval(hours => $1::int)`,
      [this.retentionHours],
    );
  }
}

function groupByTopic(rows: OutboxRow[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const r of rows) {
    const ev: CloudEvent = {
      id: r.ce_id,
      type: r.type,
      source: r.source,
      specversion: '1.0',
      time: new Date(r.time).toISOString(),
      subject: r.key,
      datacontenttype: 'application/json',
      data: r.data,
    };
    let entry = byTopic.get(r.topic);
    if (!entry) byTopic.set(r.topic, (entry = { topic: r.topic, messages: [] }));
    entry.messages.push(toKafkaMessage(ev));
  }
  return [...byTopic.values()];
}

export function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

export { sleep };
