import { NotFoundException } from '@nestjs/common';
import { AuthClaims } from './claims';

// ODS codes are upper case in claims (validateClaims) but may come from anywhere on the other side.
function sameCode(a: string | undefined, b: string | null | undefined): boolean {
  return !!a && !!b && a.toUpperCase() === b.trim().toUpperCase();
}

/** Link workers and PCN operations see their whole PCN; a referrer sees it only through canSeePractice. */
export function canSeePcn(user: AuthClaims, pcnCode: string | null | undefined): boolean {
  switch (user.role) {
    case 'admin':
      return true;
    case 'link_worker':
    case 'pcn_ops':
      return sameCode(user.pcn, pcnCode);
    case 'referrer':
    case 'vcso_coordinator':
    case 'ics_analyst':
      return false;
  }
}

/** A record belonging to a practice: its referrers (in that PCN), and the PCN's link workers and ops. */
export function canSeePractice(
  user: AuthClaims,
  practiceCode: string | null | undefined,
  pcnCode: string | null | undefined,
): boolean {
  switch (user.role) {
    case 'admin':
      return true;
    case 'referrer':
      return sameCode(user.practice, practiceCode) && sameCode(user.pcn, pcnCode);
    case 'link_worker':
    case 'pcn_ops':
      return sameCode(user.pcn, pcnCode);
    case 'vcso_coordinator':
    case 'ics_analyst':
      return false;
  }
}

/** A VCSO organisation's own records: its coordinators. */
export function canSeeOrg(user: AuthClaims, orgId: string | null | undefined): boolean {
  if (user.role === 'admin') return true;
  return user.role === 'vcso_coordinator' && !!user.org && !!orgId && user.org === orgId;
}

/** ICS-level (de-identified) outputs: the ICS's analysts. */
export function canSeeIcs(user: AuthClaims, icsCode: string | null | undefined): boolean {
  if (user.role === 'admin') return true;
  return user.role === 'ics_analyst' && sameCode(user.ics, icsCode);
}

/**
 * Out of scope reads as absent: 404, so that callers cannot learn what exists outside their scope.
 * Use after loading: `assertInScope(ref && canSeePractice(user, ref.practiceCode, ref.pcnCode))`.
 */
export function assertInScope(condition: unknown, what = 'resource'): asserts condition {
  if (!condition) throw new NotFoundException(`${what} not found`);
}
