import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@sp/contracts';
import type { EntityManager } from 'typeorm';
import { contractsRegistry, EventRegistry } from './event-registry';

export const OUTBOX_LANES = 16;

export interface NewEvent<T = unknown> {
  type: string;
  /** The aggregate id: the Kafka key, so one referral's (or one service's) events stay in order. */
  subject: string;
  data: T;
  /** Set to make enqueueing idempotent (the outbox's `ce_id` is unique). */
  id?: string;
  time?: Date;
}

export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
  constructor(
    readonly type: string,
    readonly problems: string[],
  ) {
    super(`event ${type} is invalid: ${problems.join('; ')}`);
  }
}

/** Stable lane for a key (FNV-1a), so every relay agrees which lane, and therefore which lock, a key has. */
export function laneOf(key: string, lanes = OUTBOX_LANES): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % lanes;
}

/**
 * Writes events into the transactional outbox. Call it with the EntityManager of the transaction
 * that makes the state change: the event exists if and only if that transaction commits. It never
 * talks to Kafka; the relay does.
 */
export class OutboxWriter {
  constructor(
    readonly source: string,
    private readonly registry: EventRegistry = contractsRegistry,
  ) {}

  async enqueue<T>(manager: EntityManager, event: NewEvent<T>): Promise<CloudEvent<T>> {
    const [ev] = await this.enqueueMany(manager, [event]);
    return ev;
  }

  async enqueueMany<T>(manager: EntityManager, events: NewEvent<T>[]): Promise<CloudEvent<T>[]> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error(
        'OutboxWriter.enqueue must be called inside a transaction (use dataSource.transaction)',
      );
    }
    const built = events.map((e) => this.build(e));
    if (built.length === 0) return [];
    const params: unknown[] = [];
    const rows = built.map(({ ev, topic }, i) => {
      params.push(
        ev.id,
        topic,
        ev.subject,
        laneOf(ev.subject),
        ev.type,
        ev.source,
        ev.time,
        JSON.stringify(ev.data),
      );
      const b = i * 8;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}::jsonb)`;
    });
    await manager.query(
      `INSERT INTO outbox (ce_id, topic, key, lane, type, source, time, data) VALUES ${rows.join(', ')}`,
      params,
    );
    return built.map((b) => b.ev);
  }

  private build<T>(e: NewEvent<T>): { ev: CloudEvent<T>; topic: string } {
    if (!e.subject) throw new InvalidEventError(e.type, ['subject (the aggregate id) is required']);
    const problems = this.registry.validate(e.type, e.data);
    if (problems.length) throw new InvalidEventError(e.type, problems);
    const topic = this.registry.topicFor(e.type);
    return {
      topic,
      ev: {
        id: e.id ?? randomUUID(),
        type: e.type,
        source: this.source,
        specversion: '1.0',
        time: (e.time ?? new Date()).toISOString(),
        subject: e.subject,
        datacontenttype: 'application/json',
        data: e.data,
      },
    };
  }
}
