import type { ConsentMethod } from '@sp/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export const CONSENT_DECISIONS = ['granted', 'declined'] as const;
export type ConsentDecision = (typeof CONSENT_DECISIONS)[number];

/**
 * One recorded decision. The history is append-only (a trigger enforces it): a decision is never
 * overwritten; a granted one may later gain its withdrawal, once.
 */
@Entity({ name: 'consents' })
export class ConsentRecord {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'uuid' })
  referralId: string;

  @Column({ type: 'text' })
  pcnCode: string;

  @Column({ type: 'text' })
  decision: ConsentDecision;

  @Column({ type: 'text' })
  method: ConsentMethod;

  @Column({ type: 'boolean' })
  shareWithVcso: boolean;

  @Column({ type: 'text' })
  recordedBySub: string;

  @Column({ type: 'text' })
  recordedByRole: string;

  @Column({ type: 'timestamptz' })
  recordedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  withdrawnAt: Date | null;

  @Column({ type: 'text', nullable: true })
  withdrawnBySub: string | null;

  @Column({ type: 'text', nullable: true })
  withdrawnByRole: string | null;

  @Column({ type: 'text', nullable: true })
  withdrawalReason: string | null;
}
