import { isPcnCode, isPracticeCode } from '@sp/domain';
import { isRole, REQUIRED_SCOPE_CLAIMS, Role, ROLES } from './roles';

/** What a verified token says about its bearer; attached to `request.user` by the guard. */
export interface AuthClaims {
  sub: string;
  role: Role;
  /** Practice ODS code (referrer). */
  practice?: string;
  /** PCN ODS code (referrer, link_worker, pcn_ops). */
  pcn?: string;
  /** VCSO organisation id (vcso_coordinator). */
  org?: string;
  /** ICS/ICB code (ics_analyst). */
  ics?: string;
  /** OAuth-style space-separated scopes, passed through untouched. */
  scope?: string;
}

/** A token whose claims are missing or malformed; `claim` names the offending one. */
export class InvalidClaimsError extends Error {
  override readonly name = 'InvalidClaimsError';

  constructor(
    readonly claim: string,
    readonly reason: string,
  ) {
    super(`claim "${claim}" ${reason}`);
  }
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

function optionalString(payload: Record<string, unknown>, claim: string): string | undefined {
  const value = payload[claim];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidClaimsError(claim, 'must be a string');
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * Checks a decoded JWT payload (or claims about to be signed) and returns only the claims the platform
 * uses, ODS codes upper-cased. Throws InvalidClaimsError naming the first problem.
 */
export function validateClaims(payload: unknown): AuthClaims {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new InvalidClaimsError('payload', 'must be a JSON object');
  }
  const p = payload as Record<string, unknown>;

  const sub = optionalString(p, 'sub');
  if (!sub) throw new InvalidClaimsError('sub', 'is required');
  if (sub.length > 256) throw new InvalidClaimsError('sub', 'is longer than 256 characters');

  const role = p.role;
  if (role === undefined) throw new InvalidClaimsError('role', `is required (one of ${ROLES.join(', ')})`);
  if (!isRole(role)) {
    throw new InvalidClaimsError('role', `'${String(role)}' is not a role (one of ${ROLES.join(', ')})`);
  }

  const claims: AuthClaims = { sub, role };

  const practice = optionalString(p, 'practice');
  if (practice !== undefined) {
    if (!isPracticeCode(practice))
      throw new InvalidClaimsError('practice', 'must be a practice ODS code like P88001');
    claims.practice = practice.toUpperCase();
  }
  const pcn = optionalString(p, 'pcn');
  if (pcn !== undefined) {
    if (!isPcnCode(pcn)) throw new InvalidClaimsError('pcn', 'must be a PCN ODS code like U00001');
    claims.pcn = pcn.toUpperCase();
  }
  const org = optionalString(p, 'org');
  if (org !== undefined) {
    if (!ID.test(org)) throw new InvalidClaimsError('org', 'must be an organisation id');
    claims.org = org;
  }
  const ics = optionalString(p, 'ics');
  if (ics !== undefined) {
    if (!ID.test(ics)) throw new InvalidClaimsError('ics', 'must be an ICS code like QXX');
    claims.ics = ics;
  }
  const scope = optionalString(p, 'scope');
  if (scope !== undefined) claims.scope = scope;

  for (const needed of REQUIRED_SCOPE_CLAIMS[role]) {
    if (claims[needed] === undefined) throw new InvalidClaimsError(needed, `is required for role ${role}`);
  }
  return claims;
}
