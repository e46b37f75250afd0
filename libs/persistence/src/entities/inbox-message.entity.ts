import { Column, Entity, PrimaryColumn } from 'typeorm';

export type InboxStatus = 'processed' | 'dead-lettered';

/**
 * The consumer side of exactly-once-in-effect: a row per (consumer, ce_id), written in the same
 * transaction as the handler's work. A redelivered event finds its row and is skipped.
 */
@Entity({ name: 'inbox' })
export class InboxMessage {
  @PrimaryColumn({ type: 'text' })
  consumer: string;

  @PrimaryColumn({ type: 'text' })
  ceId: string;

  @Column({ type: 'text' })
  type: string;

  @Column({ type: 'text' })
  topic: string;

  @Column({ type: 'int' })
  partition: number;

  @Column({ type: 'bigint' })
  offset: string;

  @Column({ type: 'text' })
  status: InboxStatus;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  processedAt: Date;
}
