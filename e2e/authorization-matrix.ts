import type { Role } from '@sp/auth';

/**
 * Who may do what, route by route: the expectation table that e2e/hostile-input.int-spec.ts checks
 * against the live platform. Every route the services publish in their OpenAPI documents (and the
 * gateway's own /api routes) must have an entry here, or the spec fails naming it: a new route is
 * added to this table in the same change that adds the route.
 *
 * Each caller holds scope A (PCN A and its practice, VCSO organisation A, ICS A). For each route and
 * role the table says what happens when the caller aims at:
 *   own     - an object in scope A (for routes without an id: a request about scope A),
 *   other   - the same kind of object in scope B,
 *   missing - an id that does not exist (routes with an id only).
 * Outcomes:
 *   allowed     - 2xx, or a 400/409 about the body or the object's state; never 401, 403 or 404
 *   forbidden   - 403: the role may not use the route at all
 *   notFound    - 404: outside the caller's scope, or absent (CONTRACT.md: never reveal it exists)
 *   hidden      - lists: 2xx, and the answer names nothing of scope B
 *   refusedRows - bulk import: 200, every row refused naming its field, nothing created
 */
export type Outcome = 'allowed' | 'forbidden' | 'notFound' | 'hidden' | 'refusedRows';
export type Target = 'own' | 'other' | 'missing';

export interface RoleExpectation {
  own: Outcome;
  other?: Outcome;
  missing?: Outcome;
}

export interface RouteExpectation {
  /** The policy in a few words. */
  who: string;
  roles: Record<Role, RoleExpectation>;
}

export const MATRIX_ROLES: readonly Role[] = [
  'referrer',
  'link_worker',
  'pcn_ops',
  'vcso_coordinator',
  'ics_analyst',
  'admin',
];

// Building blocks; each route below says which applies to which role.
const forbidden = (withId: boolean, scoped = true): RoleExpectation => ({
  own: 'forbidden',
  ...(scoped ? { other: 'forbidden' } : {}),
  ...(withId ? { missing: 'forbidden' } : {}),
});
/** Sees its own scope; another scope's object, or none, reads as absent. */
const scoped: RoleExpectation = { own: 'allowed', other: 'notFound', missing: 'notFound' };
/** Not scoped: any existing object. */
const anyObject: RoleExpectation = { own: 'allowed', other: 'allowed', missing: 'notFound' };
/** A scoped query parameter (`?pcnCode=`, `?referralId=`, a body's referralId). */
const scopedQuery: RoleExpectation = { own: 'allowed', other: 'notFound' };
/** A list filtered to the caller's scope. */
const filteredList: RoleExpectation = { own: 'allowed', other: 'hidden' };
const everything: RoleExpectation = { own: 'allowed', other: 'allowed' };
const invisible: RoleExpectation = { own: 'notFound', other: 'notFound', missing: 'notFound' };
const open: RoleExpectation = { own: 'allowed' };

function roles(
  defaults: RoleExpectation,
  given: Partial<Record<Role, RoleExpectation>>,
): Record<Role, RoleExpectation> {
  return Object.fromEntries(MATRIX_ROLES.map((r) => [r, given[r] ?? defaults])) as Record<
    Role,
    RoleExpectation
  >;
}

const PCN_TEAM = { link_worker: scoped, pcn_ops: scoped };
const FIGURES = { pcn_ops: scopedQuery, ics_analyst: scopedQuery, admin: everything };

export const MATRIX: Record<string, RouteExpectation> = {
  // gateway
  'GET /api/v1/me': { who: 'any signed-in role', roles: roles(open, {}) },

  // referral-intake: the network
  'POST /api/v1/pcns': { who: 'admin', roles: roles(forbidden(false, false), { admin: open }) },
  'GET /api/v1/pcns': { who: 'any signed-in role', roles: roles(open, {}) },
  'GET /api/v1/pcns/{code}': {
    who: 'any signed-in role, any PCN (the network is public)',
    roles: roles(anyObject, {}),
  },

  // referral-intake: referrals
  'POST /api/v1/referrals': {
    who: 'referrer (own practice), link_worker and pcn_ops (own PCN); another PCN is a 403 naming the field',
    roles: roles(forbidden(false), {
      referrer: { own: 'allowed', other: 'forbidden' },
      link_worker: { own: 'allowed', other: 'forbidden' },
      pcn_ops: { own: 'allowed', other: 'forbidden' },
    }),
  },
  'GET /api/v1/referrals': {
    who: 'referrer (own practice), link_worker and pcn_ops (own PCN), admin (all)',
    roles: roles(forbidden(false), {
      referrer: filteredList,
      link_worker: filteredList,
      pcn_ops: filteredList,
      admin: everything,
    }),
  },
  'GET /api/v1/referrals/{id}': {
    who: "the referral's practice (referrer) and PCN (link_worker, pcn_ops), admin; no one else sees it",
    roles: roles(invisible, { referrer: scoped, ...PCN_TEAM, admin: anyObject }),
  },
  'POST /api/v1/referrals/{id}/assessment': {
    who: "link_worker of the referral's PCN",
    roles: roles(forbidden(true), { link_worker: scoped }),
  },
  'POST /api/v1/referrals/{id}/close': {
    who: "link_worker and pcn_ops of the referral's PCN",
    roles: roles(forbidden(true), PCN_TEAM),
  },
  'GET /api/v1/referrals/{id}/contact': {
    who: 'vcso_coordinator whose organisation holds an open offer, with consent to share',
    roles: roles(forbidden(true), { vcso_coordinator: scoped }),
  },
  'POST /api/v1/referrals/import': {
    who: 'referrer, link_worker, pcn_ops; rows of another PCN are refused one by one',
    roles: roles(forbidden(false), {
      referrer: { own: 'allowed', other: 'refusedRows' },
      link_worker: { own: 'allowed', other: 'refusedRows' },
      pcn_ops: { own: 'allowed', other: 'refusedRows' },
    }),
  },
  'POST /api/v1/referrals/{id}/outcomes': {
    who: "link_worker and pcn_ops of the referral's PCN",
    roles: roles(forbidden(true), PCN_TEAM),
  },
  'GET /api/v1/referrals/{id}/outcomes': {
    who: "link_worker and pcn_ops of the referral's PCN",
    roles: roles(forbidden(true), PCN_TEAM),
  },

  // consent
  'POST /api/v1/consents': {
    who: "link_worker, pcn_ops of the referral's PCN, admin",
    roles: roles(forbidden(false), {
      link_worker: scopedQuery,
      pcn_ops: scopedQuery,
      admin: everything,
    }),
  },
  'GET /api/v1/consents': {
    who: "link_worker, pcn_ops of the referral's PCN, admin",
    roles: roles(forbidden(false), {
      link_worker: scopedQuery,
      pcn_ops: scopedQuery,
      admin: everything,
    }),
  },
  'POST /api/v1/consents/{id}/withdraw': {
    who: "link_worker, pcn_ops of the referral's PCN, admin",
    roles: roles(forbidden(true), { ...PCN_TEAM, admin: anyObject }),
  },

  // matching
  'GET /api/v1/matches/{referralId}': {
    who: "link_worker, pcn_ops of the referral's PCN, admin",
    roles: roles(forbidden(true), { ...PCN_TEAM, admin: anyObject }),
  },
  'POST /api/v1/offers': {
    who: "link_worker, pcn_ops of the referral's PCN, admin",
    roles: roles(forbidden(false), {
      link_worker: scopedQuery,
      pcn_ops: scopedQuery,
      admin: everything,
    }),
  },
  'GET /api/v1/offers': {
    who: "vcso_coordinator (own organisation's), link_worker and pcn_ops (own PCN's), admin",
    roles: roles(forbidden(false), {
      link_worker: filteredList,
      pcn_ops: filteredList,
      vcso_coordinator: filteredList,
      admin: everything,
    }),
  },
  'POST /api/v1/offers/{id}/accept': {
    who: "vcso_coordinator of the offer's organisation, admin",
    roles: roles(forbidden(true), { vcso_coordinator: scoped, admin: anyObject }),
  },
  'POST /api/v1/offers/{id}/decline': {
    who: "vcso_coordinator of the offer's organisation, admin",
    roles: roles(forbidden(true), { vcso_coordinator: scoped, admin: anyObject }),
  },
  'POST /api/v1/offers/{id}/complete': {
    who: "vcso_coordinator of the offer's organisation, admin",
    roles: roles(forbidden(true), { vcso_coordinator: scoped, admin: anyObject }),
  },

  // vcso-capacity
  'POST /api/v1/organisations': {
    who: 'pcn_ops, admin',
    roles: roles(forbidden(false, false), { pcn_ops: open, admin: open }),
  },
  'GET /api/v1/organisations': {
    who: 'pcn_ops, admin',
    roles: roles(forbidden(false, false), { pcn_ops: open, admin: open }),
  },
  'POST /api/v1/services': {
    who: 'pcn_ops, admin, for any organisation',
    roles: roles(forbidden(false), { pcn_ops: everything, admin: everything }),
  },
  'GET /api/v1/services': { who: 'any signed-in role (the directory is public)', roles: roles(open, {}) },
  'GET /api/v1/services/{id}': { who: 'any signed-in role, any service', roles: roles(anyObject, {}) },
  // CONTRACT.md gives capacity to "vcso_coordinator of its org, pcn_ops": any PCN's operations team
  // may throttle any service, since a VCSO serves several PCNs.
  'PUT /api/v1/services/{id}/capacity': {
    who: "vcso_coordinator of the service's organisation, pcn_ops (any service), admin",
    roles: roles(forbidden(true), { vcso_coordinator: scoped, pcn_ops: anyObject, admin: anyObject }),
  },
  'GET /api/v1/services/{id}/activity': {
    who: "vcso_coordinator of the service's organisation, pcn_ops (any service), admin",
    roles: roles(forbidden(true), { vcso_coordinator: scoped, pcn_ops: anyObject, admin: anyObject }),
  },

  // commissioning-metrics
  'GET /api/v1/metrics/summary': {
    who: 'pcn_ops (own PCN), ics_analyst (own ICS), admin',
    roles: roles(forbidden(false), FIGURES),
  },
  'GET /api/v1/metrics/service-outcomes': {
    who: 'pcn_ops (own PCN), ics_analyst (own ICS), admin',
    roles: roles(forbidden(false), FIGURES),
  },
  'GET /api/v1/metrics/unmet-need': {
    who: 'pcn_ops (own PCN), ics_analyst (own ICS), admin',
    roles: roles(forbidden(false), FIGURES),
  },
  'GET /api/v1/metrics/export.csv': {
    who: 'pcn_ops (own PCN), ics_analyst (own ICS), admin',
    roles: roles(forbidden(false), FIGURES),
  },
  'GET /api/v1/metrics/outcomes': {
    who: 'pcn_ops (own PCN), ics_analyst (own ICS), admin',
    roles: roles(forbidden(false), FIGURES),
  },
  'GET /api/v1/metrics/outcomes.csv': {
    who: 'pcn_ops (own PCN), ics_analyst (own ICS), admin',
    roles: roles(forbidden(false), FIGURES),
  },
  'GET /api/v1/metrics/vcso-load': {
    who: "pcn_ops (their PCN's ICS), ics_analyst (own ICS), admin",
    roles: roles(forbidden(false), { pcn_ops: filteredList, ics_analyst: filteredList, admin: everything }),
  },
  'GET /api/v1/metrics/vcso-load/{serviceId}/history': {
    who: "pcn_ops (their PCN's ICS), ics_analyst (own ICS), admin",
    roles: roles(forbidden(true), { pcn_ops: scoped, ics_analyst: scoped, admin: anyObject }),
  },
  'GET /api/v1/stream': {
    who: 'ics_analyst, pcn_ops, admin (events filtered to their scope)',
    roles: roles(forbidden(false, false), { pcn_ops: open, ics_analyst: open, admin: open }),
  },
};

/** `GET /api/v1/referrals/{id}` for an OpenAPI method and path. */
export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

/** Targets a route is checked with: `missing` only where the path carries an id. */
export function targetsOf(key: string, expectation: RoleExpectation): Target[] {
  const out: Target[] = ['own'];
  if (expectation.other) out.push('other');
  if (expectation.missing && /\{[^}]+\}/.test(key)) out.push('missing');
  return out;
}
