import { Logger } from '@nestjs/common';
import { EnvelopeError, fromKafkaMessage, type CloudEvent } from '@sp/contracts';
import { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Partitioners, Producer } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { deadLetterMessage } from './dead-letter';
import { commitSignals } from './commit-signals';
import { commitSoonAsked } from './commit-soon';
import { contractsRegistry, EventRegistry } from './event-registry';
import { messagingMetrics } from './metrics';
import { describe } from './outbox-relay';
import { backoffMs, isTransientError, PermanentError, sleep, withTimeout } from './transient-error';

/**
 * A duration in milliseconds from the environment: a whole number, at least `min` (0 unless given).
 * Anything else stops the service with the variable named (a typo must not turn a watchdog into a
 * loop or switch it off).
 */
export function msFromEnv(
  name: string,
  fallback: number,
  env: NodeJS.ProcessEnv = process.env,
  min = 0,
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < min) {
    const least = min === 0 ? '0 or more' : `at least ${min}`;
    throw new Error(`${name} must be a whole number of milliseconds, ${least} (got "${raw}")`);
  }
  return ms;
}

function defaultGiveUp(): void {
  process.exit(70);
}

export type EventHandler = (event: CloudEvent, manager: EntityManager) => Promise<void>;
/** Handles several events of one type in one go: a multi-row upsert instead of a statement each. */
export type EventBatchHandler = (events: CloudEvent[], manager: EntityManager) => Promise<void>;

export interface EventConsumerOptions {
  /** Consumer group id, and the inbox's consumer name. */
  name: string;
  kafka: Kafka;
  dataSource: DataSource;
  topics: string[];
  /** Handler per event type; types without one are acknowledged and skipped. */
  handlers: Map<string, EventHandler> | Record<string, EventHandler>;
  /**
   * Handlers that take several events of their type at once. In a chunk, a run of consecutive events
   * whose types have one is claimed as usual, then each type's handler is called once with its
   * events (in offset order), the types in the order they first appear in the run. So a batch
   * handler must come to the same rows whichever order it and the consumer's other batch handlers
   * run in (upserts that keep the newest state do). An event alone, or handled one at a time after
   * a failure, is a batch of one. A type with a batch handler needs no entry in `handlers`.
   */
  batchHandlers?: Map<string, EventBatchHandler> | Record<string, EventBatchHandler>;
  registry?: EventRegistry;
  fromBeginning?: boolean;
  /** Attempts for a handler error that is not transient before the message is dead-lettered. */
  maxAttempts?: number;
  /** Attempts for a transient error (database or broker away) before the batch is handed back to Kafka. */
  maxTransientAttempts?: number;
  sessionTimeoutMs?: number;
  /** Rebuild attempts after a crash before giving up (backoff caps at 15 s, so about five minutes). */
  maxRestartAttempts?: number;
  /**
   * What to do when the consumer cannot be rebuilt: by default the process exits so that its
   * supervisor (npm start, Kubernetes) restarts it. A consumer is never left alive and idle.
   */
  onGiveUp?: (error: unknown) => void;
  /** Partitions handled at once (3 by default: see connect()). */
  partitionsConcurrently?: number;
  /** Most messages handled in one transaction when a batch holds several (25; 1 = one each). */
  chunkSize?: number;
  /**
   * Offsets of handled messages are committed to Kafka at most this often (1,000 ms;
   * CONSUMER_COMMIT_INTERVAL_MS), and at once when the consumer stops or its group rebalances. kafkajs's
   * own auto-commit sends an OffsetCommit after every batch, which under a trickle of events is one
   * request (and one write to __consumer_offsets) per event. A crash loses at most this much of
   * committing: those messages are delivered again and the inbox absorbs them.
   */
  commitIntervalMs?: number;
  /**
   * A running consumer that neither fetches nor handles a batch for this long is rebuilt (45 s;
   * CONSUMER_STALL_MS; 0 turns it off). An idle consumer fetches every 5 s; one that stops without a
   * word (seen once in the chaos test, after the broker was killed while a newly started consumer
   * joined its group) would otherwise sit with its partitions' lag growing and its health saying
   * "running".
   */
  stallMs?: number;
  /**
   * An assigned partition that stays behind its end (committed offset below the high watermark, the
   * committed offset not moving) with no batch started for it for this long, while the consumer has
   * fetched twice without one, is a stuck partition, and the consumer is rebuilt (20 s;
   * CONSUMER_PARTITION_STALL_MS; 0 turns it off). Checked against the broker every quarter of it. A
   * partition merely waiting its turn is not stuck: kafkajs fetches again only when every batch of
   * the last fetch is done, so under load a partition can wait a long cycle for a batch already
   * fetched (a rebuild then would throw that work away). A consumer that has not fetched at all for
   * three times the allowance counts as having fetched without one. Seen in the chaos test after a
   * broker restart, and after a consumer's own restart with the broker up: the consumer went on
   * fetching and heartbeating, its other partitions flowed, and one partition stood still, 63 to 170
   * messages short, for good. A consumer that pauses partitions on purpose would need this turned off
   * (0); none here does.
   */
  partitionStallMs?: number;
}

/** What the partition check knows of one assigned partition. */
interface PartitionWatch {
  /** When a batch of it last started (or the consumer last joined its group). */
  batchAt: number;
  /** Batches of it being handled now. */
  inFlight: number;
  /** Fetches the consumer has made since a batch of it last started. */
  fetchesWithout: number;
  /** When the batch in hand started, and how many messages it holds (for the stall report). */
  handling?: { since: number; size: number };
  /** The committed offset seen behind the end, and since when it has not moved. */
  behind?: { committed: string; since: number };
}

type ConsumerState = 'stopped' | 'starting' | 'running' | 'restarting';

/**
 * Consumes topics in batches. For each message: validate the envelope and payload, then in ONE
 * database transaction claim `(consumer, ce_id)` in the inbox and run the handler (several
 * consecutive messages share that transaction under load); only after that transaction commits is
 * the offset resolved and committed. So a crash anywhere replays the message
 * and the inbox absorbs it. A message that can never be handled goes to `<topic>.dlq` with the
 * reason and the partition moves on. A consumer that crashes is rebuilt; it is never alive and idle.
 */
export class EventConsumer {
  private readonly log: Logger;
  private readonly handlers: Map<string, EventHandler>;
  private readonly batchHandlers: Map<string, EventBatchHandler>;
  private readonly registry: EventRegistry;
  private consumer?: Consumer;
  private dlqProducer?: Producer;
  private state: ConsumerState = 'stopped';
  private restarting?: Promise<void>;
  private restartAttempts = 0;
  private readonly chunkSize: number;
  private readonly stallMs: number;
  private lastActivityAt = 0;
  private lastFetchAt = 0;
  private watchdog?: NodeJS.Timeout;
  private readonly partitionStallMs: number;
  private readonly partitions = new Map<string, PartitionWatch>();
  private assignment: Record<string, number[]> = {};
  private partitionCheck?: NodeJS.Timeout;
  private checkingPartitions = false;
  private admin?: Admin;
  private readonly commitIntervalMs: number;
  /** Next offset to read per handled partition ("topic:partition"), not yet committed. */
  private readonly pendingOffsets = new Map<string, { topic: string; partition: number; offset: string }>();
  private lastCommitAt = 0;
  private commitTimer?: NodeJS.Timeout;
  /** The commit under way (see commitPending). */
  private committing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: EventConsumerOptions) {
    this.log = new Logger(`consumer:${opts.name}`);
    this.handlers = new Map(opts.handlers instanceof Map ? opts.handlers : Object.entries(opts.handlers));
    const batch = opts.batchHandlers ?? new Map<string, EventBatchHandler>();
    this.batchHandlers = new Map(batch instanceof Map ? batch : Object.entries(batch));
    for (const [type, handle] of this.batchHandlers) {
      if (this.handlers.has(type)) throw new Error(`${type} has both a handler and a batch handler`);
      this.handlers.set(type, (event, manager) => handle([event], manager));
    }
    this.registry = opts.registry ?? contractsRegistry;
    this.chunkSize = Math.max(1, opts.chunkSize ?? Number(process.env.CONSUMER_CHUNK_SIZE ?? 25));
    this.stallMs = opts.stallMs ?? msFromEnv('CONSUMER_STALL_MS', 45_000);
    this.partitionStallMs = opts.partitionStallMs ?? msFromEnv('CONSUMER_PARTITION_STALL_MS', 20_000);
    this.commitIntervalMs = opts.commitIntervalMs ?? msFromEnv('CONSUMER_COMMIT_INTERVAL_MS', 1_000);
  }

  get status(): ConsumerState {
    return this.state;
  }

  async start(): Promise<void> {
    this.state = 'starting';
    await this.connect();
    if (this.stallMs > 0) {
      this.watchdog = setInterval(() => this.checkStalled(), Math.max(50, Math.min(5000, this.stallMs / 3)));
      this.watchdog.unref();
    }
    if (this.partitionStallMs > 0) {
      this.partitionCheck = setInterval(
        () => void this.checkPartitions(),
        Math.max(50, Math.min(5000, this.partitionStallMs / 4)),
      );
      this.partitionCheck.unref();
    }
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    clearInterval(this.watchdog);
    clearInterval(this.partitionCheck);
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
    await this.restarting?.catch(() => undefined);
    // What was handled is committed while the consumer is still in its group; batches still in hand
    // commit their own offsets as they finish (the consumer is no longer running then).
    await this.flushOffsets(this.consumer);
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
    await this.dlqProducer?.disconnect().catch(() => undefined);
    this.dlqProducer = undefined;
  }

  private async connect(): Promise<void> {
    const consumer = this.opts.kafka.consumer({
      groupId: this.opts.name,
      sessionTimeout: this.opts.sessionTimeoutMs ?? Number(process.env.KAFKA_SESSION_TIMEOUT_MS ?? 10000),
      heartbeatInterval: 1000,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 300, maxRetryTime: 10000, retries: 10, restartOnFailure: async () => true },
    });
    this.lastActivityAt = Date.now();
    const active = () => {
      this.lastActivityAt = Date.now();
    };
    const { FETCH_START, FETCH, GROUP_JOIN, START_BATCH_PROCESS, END_BATCH_PROCESS, HEARTBEAT } =
      consumer.events;
    for (const e of [FETCH_START, FETCH, GROUP_JOIN, START_BATCH_PROCESS, END_BATCH_PROCESS, HEARTBEAT]) {
      consumer.on(e, active);
    }
    consumer.on(FETCH, () => {
      this.lastFetchAt = Date.now();
      for (const w of this.partitions.values()) w.fetchesWithout++;
    });
    // kafkajs restarts itself after retriable failures; when it gives up (restart=false) we rebuild it.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.log.warn(`consumer crashed (${describe(payload.error)}), kafkajs restart=${payload.restart}`);
      if (!payload.restart) this.scheduleRestart();
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.state = 'running';
      this.restartAttempts = 0;
      this.assigned(payload.memberAssignment ?? {});
    });
    // Leaving the generation: commit what was handled while it may still be committed. What does not
    // make it is delivered again to the partition's next owner, and absorbed by its inbox.
    consumer.on(consumer.events.REBALANCING, () => void this.flushOffsets(consumer));
    // Every OffsetCommit the client sends, whoever asked for it.
    consumer.on(consumer.events.COMMIT_OFFSETS, () =>
      messagingMetrics.offsetCommits.inc({ consumer: this.opts.name }),
    );
    this.consumer = consumer;
    await consumer.connect();
    for (const topic of this.opts.topics) {
      await consumer.subscribe({ topic, fromBeginning: this.opts.fromBeginning ?? true });
    }
    await consumer.run({
      // Offsets are committed by this class (see commitIntervalMs), not after every batch.
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Partitions are independent (order is per key, so per partition): while one waits on the
      // database another is handled. Three by default, the partitions of each topic here.
      partitionsConsumedConcurrently:
        this.opts.partitionsConcurrently ?? Number(process.env.CONSUMER_PARTITIONS_CONCURRENTLY ?? 3),
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  /** A consumer said to be running that has shown no sign of life for stallMs is rebuilt. */
  private checkStalled(): void {
    if (this.state !== 'running' || this.restarting) return;
    const quietMs = Date.now() - this.lastActivityAt;
    if (quietMs < this.stallMs) return;
    this.log.warn(
      `no fetch, heartbeat or batch for ${Math.round(quietMs / 1000)} s: rebuilding the consumer`,
    );
    messagingMetrics.consumerStalls.inc({ consumer: this.opts.name });
    this.scheduleRestart();
  }

  /** A new assignment: each partition starts with a fresh allowance, and batches in hand still count. */
  private assigned(assignment: Record<string, number[]>): void {
    this.assignment = assignment;
    const now = Date.now();
    // A fresh start for the wedged-fetcher allowance too: the first fetch of a new generation follows.
    this.lastFetchAt = now;
    const keep = new Set<string>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const p of partitions) {
        const key = `${topic}:${p}`;
        keep.add(key);
        // Updated in place: a batch still in hand holds this same object and counts itself out of it.
        const w = this.watch(topic, p);
        w.batchAt = now;
        w.fetchesWithout = 0;
        w.behind = undefined;
      }
    }
    for (const [key, w] of this.partitions)
      if (!keep.has(key) && w.inFlight === 0) this.partitions.delete(key);
    // Another member owns these now: an old offset committed later could undo its commits.
    for (const key of this.pendingOffsets.keys()) if (!keep.has(key)) this.pendingOffsets.delete(key);
  }

  private sinceLastFetch(): string {
    return this.lastFetchAt ? `${Math.round((Date.now() - this.lastFetchAt) / 100) / 10} s ago` : 'never';
  }

  /** The batches in hand, longest first: what the fetcher is waiting on. */
  private inHand(now: number): string {
    const busy = [...this.partitions]
      .filter(([, w]) => w.handling)
      .sort(([, a], [, b]) => a.handling!.since - b.handling!.since)
      .map(
        ([key, w]) =>
          `${key} ${w.handling!.size} msgs for ${Math.round((now - w.handling!.since) / 100) / 10} s`,
      );
    return busy.length ? `in hand: ${busy.join(', ')}` : 'no batch in hand';
  }

  private watch(topic: string, partition: number): PartitionWatch {
    const key = `${topic}:${partition}`;
    let w = this.partitions.get(key);
    if (!w) this.partitions.set(key, (w = { batchAt: Date.now(), inFlight: 0, fetchesWithout: 0 }));
    return w;
  }

  /**
   * Compares each assigned partition's committed offset with its end, on the broker. One that is
   * behind, has not moved, is not being handled and has had no batch for partitionStallMs is stuck:
   * the consumer is rebuilt, and resumes from the committed offset (the inbox absorbs any replay).
   * While the broker cannot answer nothing is decided.
   */
  private async checkPartitions(): Promise<void> {
    if (this.state !== 'running' || this.restarting || this.checkingPartitions) return;
    const topics = Object.keys(this.assignment).filter((t) => this.assignment[t].length);
    if (!topics.length) return;
    this.checkingPartitions = true;
    try {
      if (!this.admin) {
        const admin = this.opts.kafka.admin({ retry: { retries: 0 } });
        await admin.connect();
        this.admin = admin;
      }
      const committed = await this.admin.fetchOffsets({ groupId: this.opts.name, topics });
      const now = Date.now();
      for (const { topic, partitions } of committed) {
        const ends = new Map(
          (await this.admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o] as const),
        );
        for (const { partition, offset } of partitions) {
          if (!this.assignment[topic]?.includes(partition)) continue;
          const end = ends.get(partition);
          if (!end || this.state !== 'running') continue;
          const w = this.watch(topic, partition);
          const at = offset === '-1' ? end.low : offset;
          if (BigInt(at) >= BigInt(end.high)) {
            w.behind = undefined;
            continue;
          }
          if (w.behind?.committed !== offset) w.behind = { committed: offset, since: now };
          const still = now - w.behind.since;
          if (w.inFlight || still < this.partitionStallMs || now - w.batchAt < this.partitionStallMs)
            continue;
          // Waiting its turn in a long fetch cycle, not stuck.
          const fetcherWedged = now - this.lastFetchAt >= 3 * this.partitionStallMs;
          if (w.fetchesWithout < 2 && !fetcherWedged) continue;
          this.log.warn(
            `${topic}[${partition}] stuck at committed ${offset} of ${end.high} for ` +
              `${Math.round(still / 1000)} s with no batch in ${w.fetchesWithout} fetches (last fetch ${this.sinceLastFetch()}; ` +
              `${this.inHand(now)}): rebuilding the consumer`,
          );
          messagingMetrics.partitionStalls.inc({ consumer: this.opts.name, topic });
          for (const x of this.partitions.values()) x.behind = undefined;
          this.scheduleRestart();
          return;
        }
      }
    } catch (err) {
      // The broker is away or busy: the next check asks again, on a new connection.
      this.log.debug(`partition check failed (${describe(err)})`);
      const admin = this.admin;
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined);
    } finally {
      this.checkingPartitions = false;
    }
  }

  private scheduleRestart(): void {
    if (this.state === 'stopped' || this.restarting) return;
    this.state = 'restarting';
    messagingMetrics.consumerRestarts.inc({ consumer: this.opts.name });
    this.restarting = (async () => {
      let lastError: unknown;
      while (this.state === 'restarting') {
        if (this.restartAttempts >= (this.opts.maxRestartAttempts ?? 25)) {
          this.log.error(`consumer could not be rebuilt after ${this.restartAttempts} attempts; giving up`);
          (this.opts.onGiveUp ?? defaultGiveUp)(lastError);
          return;
        }
        await sleep(backoffMs(this.restartAttempts++, 500, 15000));
        try {
          // A stalled consumer may never finish disconnecting: it is let go after 10 s.
          const old = this.consumer;
          this.consumer = undefined;
          await this.flushOffsets(old);
          await Promise.race([old?.disconnect().catch(() => undefined), sleep(10_000)]);
          await this.connect();
          this.log.log('consumer rebuilt');
          return;
        } catch (err) {
          lastError = err;
          this.log.warn(`consumer rebuild failed (${describe(err)})`);
        }
      }
    })().finally(() => {
      this.restarting = undefined;
    });
  }

  private async handleBatch(payload: EachBatchPayload) {
    const watch = this.watch(payload.batch.topic, payload.batch.partition);
    watch.batchAt = Date.now();
    watch.fetchesWithout = 0;
    watch.inFlight++;
    watch.handling = { since: watch.batchAt, size: payload.batch.messages.length };
    try {
      await this.handleBatchMessages(payload);
    } finally {
      watch.inFlight--;
      watch.handling = undefined;
      watch.batchAt = Date.now();
    }
  }

  private async handleBatchMessages({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload) {
    const messages = batch.messages;
    for (let i = 0; i < messages.length;) {
      if (!isRunning() || isStale()) return;
      this.lastActivityAt = Date.now();
      const chunk = messages.slice(i, i + this.chunkSize);
      const chunked = chunk.length > 1 ? await this.handleChunk(batch.topic, batch.partition, chunk) : false;
      if (typeof chunked === 'number') {
        const done = chunk.slice(0, chunked);
        for (const m of done) resolveOffset(m.offset);
        const last = done[done.length - 1].offset;
        await this.handled(batch.topic, batch.partition, last, commitOffsetsIfNecessary, isRunning);
        i += done.length;
        await heartbeat();
        continue;
      } else {
        // One at a time: a lone message, or a chunk that held a poison message or met an error. A
        // handler that failed in the chunk has had its first attempt.
        for (const message of chunk) {
          if (!isRunning() || isStale()) return;
          const tried = chunked && chunked.failedOffset === message.offset ? 1 : 0;
          await this.handleMessage(batch.topic, batch.partition, message, heartbeat, tried);
          resolveOffset(message.offset);
          await this.handled(
            batch.topic,
            batch.partition,
            message.offset,
            commitOffsetsIfNecessary,
            isRunning,
          );
          await heartbeat();
        }
      }
      i += chunk.length;
      await heartbeat();
    }
  }

  /**
   * Notes a partition handled up to `offset` and commits when due: the interval is up, or the consumer
   * is stopping (no later batch will do it). Otherwise a timer commits when the interval is up, so the
   * end of a burst is committed too.
   */
  private async handled(
    topic: string,
    partition: number,
    offset: string,
    commit: EachBatchPayload['commitOffsetsIfNecessary'],
    isRunning: () => boolean,
  ): Promise<void> {
    this.pendingOffsets.set(`${topic}:${partition}`, {
      topic,
      partition,
      offset: (BigInt(offset) + 1n).toString(),
    });
    const sinceLast = Date.now() - this.lastCommitAt;
    if (!isRunning() || this.state !== 'running' || sinceLast >= this.commitIntervalMs) {
      // This batch's own handle on the group: the commit goes out under the generation it was fetched in.
      await this.commitPending((topics) => commit({ topics }));
    } else {
      this.armCommitTimer(this.commitIntervalMs - sinceLast);
    }
  }

  private armCommitTimer(ms: number): void {
    this.commitTimer ??= setTimeout(() => {
      this.commitTimer = undefined;
      void this.flushOffsets(this.consumer);
    }, ms);
  }

  /** Commits what has been handled and not yet committed, through the consumer (timer, stop, rebalance). */
  private async flushOffsets(consumer: Consumer | undefined): Promise<void> {
    if (!consumer) return;
    await this.commitPending(async (topics) => {
      const offsets = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p })));
      // Bounded: a broker that is away must not hold up a stop or a rebuild.
      await withTimeout(consumer.commitOffsets(offsets), 5_000, 'offset commit timed out');
    });
  }

  /**
   * One commit at a time, so that a failed one can hand its offsets back without undoing a later one:
   * an offset put back is never newer than one handled since. A failed commit is tried again when the
   * interval is up, even if nothing more is handled meanwhile.
   */
  private commitPending(
    send: (
      topics: { topic: string; partitions: { partition: number; offset: string }[] }[],
    ) => Promise<unknown>,
  ): Promise<void> {
    const run = async () => {
      clearTimeout(this.commitTimer);
      this.commitTimer = undefined;
      if (this.pendingOffsets.size === 0) return;
      const taken = [...this.pendingOffsets.entries()];
      this.pendingOffsets.clear();
      this.lastCommitAt = Date.now();
      const byTopic = new Map<string, { partition: number; offset: string }[]>();
      for (const [, o] of taken) {
        const list = byTopic.get(o.topic) ?? [];
        list.push({ partition: o.partition, offset: o.offset });
        byTopic.set(o.topic, list);
      }
      try {
        await send([...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
      } catch (err) {
        for (const [key, o] of taken) if (!this.pendingOffsets.has(key)) this.pendingOffsets.set(key, o);
        this.log.debug(`offset commit failed (${describe(err)}); the next one carries these offsets`);
        if (this.state === 'running') this.armCommitTimer(this.commitIntervalMs);
      }
    };
    this.committing = this.committing.then(run, run);
    return this.committing;
  }

  /**
   * Under load, a run of consecutive messages of one partition is claimed and handled in ONE
   * transaction (one multi-row inbox insert, the handlers in order, one commit) instead of one
   * transaction each: the same guarantees, a fraction of the round trips. Returns how many of the
   * chunk's messages that transaction took: all of them, or fewer when a handler asked to commit soon
   * (see commitSoon) and the rest waits for the next transaction. Returns false, having written
   * nothing, when any message is malformed or any handler fails, so that the caller handles the chunk
   * one message at a time with the usual retries and dead-lettering.
   */
  private async handleChunk(
    topic: string,
    partition: number,
    chunk: KafkaMessage[],
  ): Promise<number | false | { failedOffset: string }> {
    const work: { event: CloudEvent; handler: EventHandler; offset: string; at: number }[] = [];
    for (const [at, message] of chunk.entries()) {
      let event: CloudEvent;
      try {
        event = fromKafkaMessage(message);
      } catch {
        return false;
      }
      const handler = this.handlers.get(event.type);
      if (!handler) continue;
      if (this.registry.validate(event.type, event.data).length) return false;
      work.push({ event, handler, offset: message.offset, at });
    }
    const handled: CloudEvent[] = [];
    let failedOffset: string | undefined;
    // How many of the chunk's messages, and of its work, this transaction took.
    let taken = chunk.length;
    let claimedWork = work.length;
    let cutAt: string | undefined;
    try {
      if (work.length) {
        await this.opts.dataSource.transaction(async (manager) => {
          const params: unknown[] = [this.opts.name, topic, partition];
          const rows = work.map((w, k) => {
            params.push(w.event.id, w.event.type, w.offset);
            return `($1, $${4 + 3 * k}, $${5 + 3 * k}, $2, $3, $${6 + 3 * k}, 'processed')`;
          });
          const claimed = (await manager.query(
            `INSERT INTO inbox (consumer, ce_id, type, topic, partition, "offset", status)
             VALUES ${rows.join(', ')} ON CONFLICT DO NOTHING RETURNING ce_id`,
            params,
          )) as { ce_id: string }[];
          const fresh = new Set(claimed.map((r) => r.ce_id));
          handled.length = 0;
          taken = chunk.length;
          claimedWork = work.length;
          cutAt = undefined;
          // Consecutive events with batch handlers, waiting to be handled together.
          let run: CloudEvent[] = [];
          const handleRun = async () => {
            const byType = new Map<string, CloudEvent[]>();
            for (const e of run) {
              const same = byType.get(e.type);
              if (same) same.push(e);
              else byType.set(e.type, [e]);
            }
            run = [];
            // A failure is not pinned on one event: one at a time, each gets its own attempts.
            for (const [type, events] of byType) await this.batchHandlers.get(type)!(events, manager);
            for (const events of byType.values()) handled.push(...events);
          };
          let k = 0;
          for (; k < work.length; k++) {
            const w = work[k];
            // delete(): the same event twice in one chunk is handled once, like a redelivery.
            if (!fresh.delete(w.event.id)) continue;
            if (this.batchHandlers.has(w.event.type)) {
              run.push(w.event);
              continue;
            }
            if (run.length) await handleRun();
            try {
              await w.handler(w.event, manager);
            } catch (err) {
              const plain = !(err instanceof PermanentError) && !isTransientError(err);
              if (plain) failedOffset = w.offset;
              throw err;
            }
            handled.push(w.event);
            if (commitSoonAsked(manager) && k < work.length - 1) break;
          }
          if (run.length) await handleRun();
          if (k < work.length - 1) {
            // A handler holds a row others queue for: commit now. The rest of the chunk is given back
            // unclaimed, for the next transaction.
            taken = work[k].at + 1;
            claimedWork = k + 1;
            cutAt = work[k].event.type;
            const rest = work
              .slice(k + 1)
              .map((w) => w.event.id)
              .filter((id) => fresh.has(id));
            if (rest.length)
              await manager.query(`DELETE FROM inbox WHERE consumer = $1 AND ce_id = ANY($2::text[])`, [
                this.opts.name,
                rest,
              ]);
          }
        });
        commitSignals.committed(handled);
      }
    } catch {
      return failedOffset ? { failedOffset } : false;
    }
    const processed = handled.length;
    const ignored = taken - claimedWork;
    const consumed = messagingMetrics.consumed;
    if (processed) consumed.inc({ consumer: this.opts.name, topic, result: 'processed' }, processed);
    if (claimedWork - processed)
      consumed.inc({ consumer: this.opts.name, topic, result: 'duplicate' }, claimedWork - processed);
    if (ignored) consumed.inc({ consumer: this.opts.name, topic, result: 'ignored' }, ignored);
    if (cutAt) messagingMetrics.earlyCommits.inc({ consumer: this.opts.name, type: cutAt });
    return taken;
  }

  /** Resolves when the message is handled, skipped as a duplicate or dead-lettered; throws to hand the batch back. */
  private async handleMessage(
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
    priorAttempts = 0,
  ): Promise<void> {
    const where = { topic, partition, offset: message.offset };
    let event: CloudEvent;
    try {
      event = fromKafkaMessage(message);
    } catch (err) {
      const reason =
        err instanceof EnvelopeError
          ? `invalid envelope: ${err.reason}`
          : `invalid envelope: ${describe(err)}`;
      return this.deadLetter(message, where, reason, null);
    }
    const handler = this.handlers.get(event.type);
    if (!handler) {
      messagingMetrics.consumed.inc({ consumer: this.opts.name, topic, result: 'ignored' });
      return;
    }
    const problems = this.registry.validate(event.type, event.data);
    if (problems.length)
      return this.deadLetter(message, where, `invalid ${event.type}: ${problems.join('; ')}`, event);

    let attempts = priorAttempts;
    let transientAttempts = 0;
    for (;;) {
      try {
        const result = await this.opts.dataSource.transaction(async (manager) => {
          const claimed: unknown[] = await manager.query(
            `INSERT INTO inbox (consumer, ce_id, type, topic, partition, "offset", status)
             VALUES ($1, $2, $3, $4, $5, $6, 'processed') ON CONFLICT DO NOTHING RETURNING ce_id`,
            [this.opts.name, event.id, event.type, topic, partition, message.offset],
          );
          if (claimed.length === 0) return 'duplicate' as const;
          await handler(event, manager);
          return 'processed' as const;
        });
        if (result === 'processed') commitSignals.committed([event]);
        messagingMetrics.consumed.inc({ consumer: this.opts.name, topic, result });
        return;
      } catch (err) {
        if (err instanceof PermanentError)
          return this.deadLetter(message, where, `rejected: ${err.message}`, event);
        if (isTransientError(err)) {
          if (++transientAttempts >= (this.opts.maxTransientAttempts ?? 8)) {
            // The database (or broker) is away: do not dead-letter, hand the batch back to kafkajs,
            // which retries and restarts from the last committed offset.
            this.log.warn(
              `giving the batch back after ${transientAttempts} transient failures (${describe(err)})`,
            );
            throw err;
          }
          await sleep(backoffMs(transientAttempts, 200, 5000));
          await heartbeat().catch(() => undefined);
          continue;
        }
        if (++attempts >= (this.opts.maxAttempts ?? 3)) {
          return this.deadLetter(message, where, `handler failed ${attempts} times: ${describe(err)}`, event);
        }
        await sleep(backoffMs(attempts, 50, 1000));
      }
    }
  }

  private async deadLetter(
    message: KafkaMessage,
    where: { topic: string; partition: number; offset: string },
    reason: string,
    event: CloudEvent | null,
  ): Promise<void> {
    if (event) {
      const seen: unknown[] = await this.opts.dataSource.query(
        `SELECT 1 FROM inbox WHERE consumer = $1 AND ce_id = $2`,
        [this.opts.name, event.id],
      );
      if (seen.length) return; // already handled or dead-lettered: a redelivery
    }
    this.log.warn(`dead-lettering ${where.topic}[${where.partition}]@${where.offset}: ${reason}`);
    if (!this.dlqProducer) {
      const p = this.opts.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await p.connect();
      this.dlqProducer = p;
    }
    const dl = deadLetterMessage(message, { consumer: this.opts.name, ...where, reason });
    await this.dlqProducer.send({ topic: dl.topic, messages: [dl.message], acks: -1 });
    if (event) {
      // Recorded so a redelivery of the same event is not dead-lettered twice.
      await this.opts.dataSource.query(
        `INSERT INTO inbox (consumer, ce_id, type, topic, partition, "offset", status, reason)
         VALUES ($1, $2, $3, $4, $5, $6, 'dead-lettered', $7) ON CONFLICT DO NOTHING`,
        [
          this.opts.name,
          event.id,
          event.type,
          where.topic,
          where.partition,
          where.offset,
          reason.slice(0, 1000),
        ],
      );
    }
    messagingMetrics.consumed.inc({ consumer: this.opts.name, topic: where.topic, result: 'dead-lettered' });
  }
}
