import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One event waiting to be published, written in the same transaction as the state change it
 * describes. The relay claims unpublished rows with `FOR UPDATE SKIP LOCKED`, publishes them and
 * sets `publishedAt`. `lane` is a hash of the key: a lane is only ever relayed by one relay at a time,
 * so events with the same key leave in the order they were written.
 */
@Entity({ name: 'outbox' })
@Index('outbox_unpublished_idx', ['lane', 'id'], { where: '"published_at" IS NULL' })
export class OutboxMessage {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'uuid', unique: true })
  ceId: string;

  @Column({ type: 'text' })
  topic: string;

  @Column({ type: 'text' })
  key: string;

  @Column({ type: 'smallint' })
  lane: number;

  @Column({ type: 'text' })
  type: string;

  @Column({ type: 'text' })
  source: string;

  @Column({ type: 'timestamptz' })
  time: Date;

  @Column({ type: 'jsonb' })
  data: unknown;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  publishedAt: Date | null;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ type: 'text', nullable: true })
  lastError: string | null;
}
