import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * What consent knows of a referral, from intake's events: enough to scope a request to a PCN, to
 * refuse a decision on a closed referral, and to serialise decisions (its row is the per-referral lock).
 * Nothing identifiable: intake keeps that.
 */
@Entity({ name: 'referral_projection' })
export class ReferralProjection {
  @PrimaryColumn({ type: 'uuid' })
  referralId: string;

  @Column({ type: 'text' })
  pcnCode: string;

  /** Absent when the first event seen for the referral was its closure. */
  @Column({ type: 'text', nullable: true })
  practiceCode: string | null;

  @Column({ type: 'text' })
  status: string;

  @Column({ type: 'text', nullable: true })
  closeReason: string | null;

  @Column({ type: 'boolean', default: false })
  closed: boolean;

  /** Time of the change the status reflects; an older change arriving late does not overwrite it. */
  @Column({ type: 'timestamptz' })
  statusAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  receivedAt: Date | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
