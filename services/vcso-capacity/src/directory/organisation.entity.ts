import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A VCSO organisation; its `id` is what a coordinator's `org` claim names. */
@Entity({ name: 'organisations' })
export class Organisation {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  icsCode: string;

  @Column({ type: 'text', nullable: true })
  charityNumber: string | null;

  /** The organisation's contact address: shown through the API only, never in events or logs. */
  @Column({ type: 'text' })
  contactEmail: string;

  @Column({ type: 'timestamptz' })
  createdAt: Date;
}
