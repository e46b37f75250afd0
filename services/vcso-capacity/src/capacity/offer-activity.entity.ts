import { Column, Entity, PrimaryColumn } from 'typeorm';

export const ACTIVITY_KINDS = [
  'offered',
  'accepted',
  'declined',
  'expired',
  'cancelled',
  'completed',
  'did-not-attend',
] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

/** One offer event seen for a service, bucketed by London week and month for the coordinator's view. */
@Entity({ name: 'offer_activity' })
export class OfferActivity {
  @PrimaryColumn({ type: 'text' })
  ceId: string;

  @Column({ type: 'uuid' })
  serviceId: string;

  @Column({ type: 'uuid' })
  offerId: string;

  @Column({ type: 'text' })
  kind: ActivityKind;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'text' })
  week: string;

  @Column({ type: 'text' })
  month: string;
}
