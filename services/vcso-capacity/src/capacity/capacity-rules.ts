import type { CapacityStatus } from '@sp/contracts';

/** The load and limits a service's status is derived from. */
export interface LoadFacts {
  paused: boolean;
  active: number;
  reserved: number;
  maxActive: number;
  /** Offers made in the current London ISO week (0 once the week has turned over). */
  offersThisWeek: number;
  weeklyIntake: number;
}

/** The soft threshold (share of maxActive) at which a service becomes `limited`. */
export function softThreshold(env: NodeJS.ProcessEnv = process.env): number {
  const raw = Number(env.CAPACITY_SOFT_THRESHOLD ?? 0.85);
  return Number.isFinite(raw) && raw > 0 && raw <= 1 ? raw : 0.85;
}

/**
 * A service's capacity status: `paused` by hand; `full` when active plus reserved places reach
 * `maxActive` (also after maxActive is lowered below the load: nobody is evicted, no one new comes) or
 * the week's intake is used; `limited` at or above the soft threshold; otherwise `open`.
 */
export function deriveStatus(facts: LoadFacts, threshold = softThreshold()): CapacityStatus {
  if (facts.paused) return 'paused';
  const load = facts.active + facts.reserved;
  if (load >= facts.maxActive || facts.offersThisWeek >= facts.weeklyIntake) return 'full';
  if (load >= threshold * facts.maxActive) return 'limited';
  return 'open';
}

/** Share of maxActive in use, to three places (1 when a service takes nobody at all). */
export function utilisation(facts: Pick<LoadFacts, 'active' | 'reserved' | 'maxActive'>): number {
  if (facts.maxActive <= 0) return 1;
  return Math.round(((facts.active + facts.reserved) / facts.maxActive) * 1000) / 1000;
}

/** Statuses in which a service takes new people less freely or not at all. */
export function isThrottled(status: CapacityStatus): boolean {
  return status !== 'open';
}

/** Statuses an early-warning episode runs through: load-driven throttling, not a deliberate pause. */
export function isStrained(status: CapacityStatus): boolean {
  return status === 'limited' || status === 'full';
}
