import type { Target } from '../authorization-matrix';
import { referralBody, serviceBody, type Scope, type World } from './two-scopes';

/** One request of the matrix: where it goes, what it sends, and (lists) what of scope B must not show. */
export interface MatrixRequest {
  path: string;
  body?: unknown;
  /** A body sent as is, with its own content type (the bulk import). */
  raw?: { text: string; type: string };
  /** For `hidden`: ids of scope B that the answer must not contain. */
  otherIds?: string[];
}

export type RequestBuilder = (w: World, target: Target) => MatrixRequest;

/** An id that names nothing. */
export const MISSING_ID = '00000000-0000-4000-8000-000000000000';
const MISSING_PCN = 'U49999';

let sequence = 0;

function scopeOf(w: World, target: Target): Scope {
  return target === 'other' ? w.B : w.A;
}

/** `/api/v1/x/{id}/y` with the target's id (or one that names nothing). */
const byId =
  (template: (id: string) => string, id: (s: Scope) => string, body?: () => unknown): RequestBuilder =>
  (w, t) => ({ path: template(t === 'missing' ? MISSING_ID : id(scopeOf(w, t))), body: body?.() });

const list =
  (path: string, otherIds: (w: World) => string[]): RequestBuilder =>
  (w) => ({ path, otherIds: otherIds(w) });

const figures =
  (path: string): RequestBuilder =>
  (w, t) => ({ path: `${path}?pcnCode=${scopeOf(w, t).pcn}` });

/** How to exercise each route of the matrix for a target. */
export const MATRIX_REQUESTS: Record<string, RequestBuilder> = {
  'GET /api/v1/me': () => ({ path: '/api/v1/me' }),

  'POST /api/v1/pcns': () => {
    const n = 41100 + ++sequence;
    return {
      path: '/api/v1/pcns',
      body: {
        code: `U${n}`,
        name: `Matrix PCN ${n}`,
        icsCode: 'QA4',
        practices: [{ code: `P${n}`, name: 'Matrix Surgery', postcode: 'LS6 1AA' }],
      },
    };
  },
  'GET /api/v1/pcns': () => ({ path: '/api/v1/pcns' }),
  'GET /api/v1/pcns/{code}': (w, t) => ({
    path: `/api/v1/pcns/${t === 'missing' ? MISSING_PCN : scopeOf(w, t).pcn}`,
  }),

  'POST /api/v1/referrals': (w, t) => {
    const s = scopeOf(w, t);
    return { path: '/api/v1/referrals', body: referralBody(s.pcn, s.practice) };
  },
  'GET /api/v1/referrals': list('/api/v1/referrals?pageSize=100', (w) => [w.B.referralId]),
  'GET /api/v1/referrals/{id}': byId(
    (id) => `/api/v1/referrals/${id}`,
    (s) => s.referralId,
  ),
  'POST /api/v1/referrals/{id}/assessment': byId(
    (id) => `/api/v1/referrals/${id}/assessment`,
    (s) => s.referralId,
    () => ({ needs: ['loneliness'] }),
  ),
  'POST /api/v1/referrals/{id}/close': byId(
    (id) => `/api/v1/referrals/${id}/close`,
    (s) => s.referralId,
    () => ({ reason: 'other' }),
  ),
  'GET /api/v1/referrals/{id}/contact': byId(
    (id) => `/api/v1/referrals/${id}/contact`,
    (s) => s.referralId,
  ),
  'POST /api/v1/referrals/import': (w, t) => {
    const s = scopeOf(w, t);
    return {
      path: '/api/v1/referrals/import',
      raw: { text: `${JSON.stringify(referralBody(s.pcn, s.practice))}\n`, type: 'application/x-ndjson' },
    };
  },
  'POST /api/v1/referrals/{id}/outcomes': byId(
    (id) => `/api/v1/referrals/${id}/outcomes`,
    (s) => s.referralId,
    () => ({ measure: 'ons4', stage: 'baseline', scores: [5, 6, 5, 4] }),
  ),
  'GET /api/v1/referrals/{id}/outcomes': byId(
    (id) => `/api/v1/referrals/${id}/outcomes`,
    (s) => s.referralId,
  ),

  'POST /api/v1/consents': (w, t) => ({
    path: '/api/v1/consents',
    body: {
      referralId: scopeOf(w, t).referralId,
      decision: 'granted',
      method: 'verbal',
      shareWithVcso: true,
    },
  }),
  'GET /api/v1/consents': (w, t) => ({ path: `/api/v1/consents?referralId=${scopeOf(w, t).referralId}` }),
  'POST /api/v1/consents/{id}/withdraw': byId(
    (id) => `/api/v1/consents/${id}/withdraw`,
    (s) => s.consentId,
    () => ({ reason: 'person-request' }),
  ),

  'GET /api/v1/matches/{referralId}': byId(
    (id) => `/api/v1/matches/${id}`,
    (s) => s.referralId,
  ),
  'POST /api/v1/offers': (w, t) => {
    const s = scopeOf(w, t);
    return { path: '/api/v1/offers', body: { referralId: s.referralId, serviceId: s.serviceId } };
  },
  'GET /api/v1/offers': list('/api/v1/offers?pageSize=100', (w) => [w.B.offerId]),
  'POST /api/v1/offers/{id}/accept': byId(
    (id) => `/api/v1/offers/${id}/accept`,
    (s) => s.offerId,
  ),
  'POST /api/v1/offers/{id}/decline': byId(
    (id) => `/api/v1/offers/${id}/decline`,
    (s) => s.offerId,
    () => ({ reason: 'no-capacity' }),
  ),
  'POST /api/v1/offers/{id}/complete': byId(
    (id) => `/api/v1/offers/${id}/complete`,
    (s) => s.offerId,
    () => ({ outcome: 'completed' }),
  ),

  'POST /api/v1/organisations': (w, t) => ({
    path: '/api/v1/organisations',
    body: { name: 'Matrix Walkers', icsCode: scopeOf(w, t).ics, contactEmail: 'walkers@example.org' },
  }),
  'GET /api/v1/organisations': () => ({ path: '/api/v1/organisations' }),
  'POST /api/v1/services': (w, t) => ({
    path: '/api/v1/services',
    body: serviceBody(scopeOf(w, t).orgId, 'Matrix service'),
  }),
  'GET /api/v1/services': () => ({ path: '/api/v1/services?pageSize=100' }),
  'GET /api/v1/services/{id}': byId(
    (id) => `/api/v1/services/${id}`,
    (s) => s.serviceId,
  ),
  'PUT /api/v1/services/{id}/capacity': byId(
    (id) => `/api/v1/services/${id}/capacity`,
    (s) => s.serviceId,
    () => ({ maxActive: 100, weeklyIntake: 100 }),
  ),
  'GET /api/v1/services/{id}/activity': byId(
    (id) => `/api/v1/services/${id}/activity`,
    (s) => s.serviceId,
  ),

  'GET /api/v1/metrics/summary': figures('/api/v1/metrics/summary'),
  'GET /api/v1/metrics/service-outcomes': figures('/api/v1/metrics/service-outcomes'),
  'GET /api/v1/metrics/unmet-need': figures('/api/v1/metrics/unmet-need'),
  'GET /api/v1/metrics/export.csv': figures('/api/v1/metrics/export.csv'),
  'GET /api/v1/metrics/outcomes': figures('/api/v1/metrics/outcomes'),
  'GET /api/v1/metrics/outcomes.csv': figures('/api/v1/metrics/outcomes.csv'),
  'GET /api/v1/metrics/vcso-load': list('/api/v1/metrics/vcso-load', (w) => [w.B.serviceId]),
  'GET /api/v1/metrics/vcso-load/{serviceId}/history': byId(
    (id) => `/api/v1/metrics/vcso-load/${id}/history`,
    (s) => s.serviceId,
  ),
  'GET /api/v1/stream': () => ({ path: '/api/v1/stream' }),
};

/**
 * The order in which requests that change state run (the rest run concurrently before them): reads
 * of an offer's contact details must come before the offer is completed, consent before closure...
 */
export const MUTATION_ORDER = [
  'POST /api/v1/pcns',
  'POST /api/v1/organisations',
  'POST /api/v1/services',
  'POST /api/v1/referrals',
  'POST /api/v1/referrals/import',
  'POST /api/v1/consents',
  'POST /api/v1/offers',
  'PUT /api/v1/services/{id}/capacity',
  'POST /api/v1/referrals/{id}/outcomes',
  'POST /api/v1/offers/{id}/accept',
  'POST /api/v1/offers/{id}/decline',
  'POST /api/v1/offers/{id}/complete',
  'POST /api/v1/referrals/{id}/assessment',
  'POST /api/v1/referrals/{id}/close',
  'POST /api/v1/consents/{id}/withdraw',
];
