import type { ConsentDecision } from './consent-record.entity';

/** The parts of a consent record the rules look at. */
export interface ConsentFacts {
  decision: ConsentDecision;
  withdrawnAt: Date | null;
}

/**
 * Why a new decision may not be recorded for a referral, or null when it may. One decision stands at a
 * time and history is never overwritten: a standing grant or a decline blocks a new one, and so does a
 * withdrawal (withdrawing closes the referral at intake; this catches the moment before that closure
 * reaches the projection, so a new grant cannot slip in behind a withdrawal).
 */
export function decisionConflict(referralClosed: boolean, history: readonly ConsentFacts[]): string | null {
  if (referralClosed) return 'the referral is closed';
  if (history.some((c) => c.decision === 'declined')) return 'consent was declined for this referral';
  if (history.some((c) => c.decision === 'granted' && c.withdrawnAt === null)) {
    return 'consent is already granted for this referral; withdraw it first';
  }
  if (history.some((c) => c.withdrawnAt !== null)) {
    return 'consent was withdrawn for this referral, which closes it';
  }
  return null;
}

/** Why a consent record may not be withdrawn, or null when it may. */
export function withdrawalConflict(record: ConsentFacts): string | null {
  if (record.decision !== 'granted') return 'only granted consent can be withdrawn';
  if (record.withdrawnAt !== null) return 'consent is already withdrawn';
  return null;
}
