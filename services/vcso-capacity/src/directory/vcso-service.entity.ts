import type { CapacityStatus, ServiceMode } from '@sp/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

const numeric = { to: (v: number) => v, from: (v: string | number) => Number(v) };

/**
 * A service a VCSO runs: who it is for, where, and how many it can take. Its live load lives on the
 * same row, and the row is the per-service lock every settings or load change takes, so the
 * capacity events it publishes come out in the order the changes happened.
 */
@Entity({ name: 'vcso_services' })
export class VcsoService {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'uuid' })
  organisationId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', array: true })
  needs: string[];

  /** As given (full postcode or district): the venue's, not a person's, but still never published. */
  @Column({ type: 'text' })
  postcode: string;

  @Column({ type: 'text' })
  district: string;

  @Column({ type: 'double precision', transformer: numeric })
  radiusKm: number;

  @Column({ type: 'int', nullable: true })
  minAge: number | null;

  @Column({ type: 'int', nullable: true })
  maxAge: number | null;

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  languages: string[];

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  accessibility: string[];

  @Column({ type: 'text' })
  mode: ServiceMode;

  @Column({ type: 'int' })
  maxActive: number;

  @Column({ type: 'int' })
  weeklyIntake: number;

  @Column({ type: 'int', default: 0 })
  active: number;

  @Column({ type: 'int', default: 0 })
  reserved: number;

  /** The London ISO week `offersThisWeek` counts; a different week means the count is 0. */
  @Column({ type: 'text', nullable: true })
  offersWeek: string | null;

  @Column({ type: 'int', default: 0 })
  offersThisWeek: number;

  @Column({ type: 'boolean', default: false })
  paused: boolean;

  /** Why it was paused, as the coordinator put it; stays here, events carry a code. */
  @Column({ type: 'text', nullable: true })
  pauseReason: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  pausedUntil: Date | null;

  /** The status last published: a change from it is what throttled/reopened events announce. */
  @Column({ type: 'text' })
  status: CapacityStatus;

  @Column({ type: 'timestamptz' })
  statusChangedAt: Date;

  /** Start of the current limited-or-full episode, for the early warning. */
  @Column({ type: 'timestamptz', nullable: true })
  strainedSince: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  alertedAt: Date | null;

  @Column({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz' })
  updatedAt: Date;
}
