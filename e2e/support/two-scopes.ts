import type { AuthClaims, Role } from '@sp/auth';
import { NhsNumber } from '@sp/domain';
import type { FuzzFixtures } from '../fuzz-targets';
import type { ApiResponse, PlatformHarness } from './platform-harness';

/**
 * Two complete scopes, A and B, seeded through the public API as users would: a PCN with a practice
 * in its own ICS, a VCSO organisation with a service, and a referral with consent to share, an
 * assessment and a pending offer at that service. Callers hold scope A; scope B is "another scope".
 */
export interface Scope {
  pcn: string;
  practice: string;
  ics: string;
  orgId: string;
  serviceId: string;
  referralId: string;
  consentId: string;
  offerId: string;
}

export interface World {
  A: Scope;
  B: Scope;
  /** A token per role, each holding scope A. */
  tokens: Record<Role, string>;
  /** Tokens holding scope B, for seeding it. */
  tokensB: { link_worker: string; pcn_ops: string; vcso_coordinator: string };
}

export const SCOPE_CODES = {
  A: { pcn: 'U40001', practice: 'P40001', ics: 'QA4' },
  B: { pcn: 'U40002', practice: 'P40002', ics: 'QB4' },
} as const;

/** `PCN_ICS_MAP` for the platform under test: which ICS each seeded PCN sits in. */
export const PCN_ICS_MAP = JSON.stringify({
  [SCOPE_CODES.A.pcn]: SCOPE_CODES.A.ics,
  [SCOPE_CODES.B.pcn]: SCOPE_CODES.B.ics,
});

type Call = <T = Record<string, unknown>>(
  method: string,
  path: string,
  token: string,
  body?: unknown,
) => Promise<ApiResponse<T>>;

export function caller(h: PlatformHarness): Call {
  return (method, path, token, body) => h.api(method, path.replace(/^\/api\/v1/, ''), { token, body });
}

function expectStatus<T>(res: ApiResponse<T>, status: number, what: string): T {
  if (res.status !== status) {
    throw new Error(
      `${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body).slice(0, 400)}`,
    );
  }
  return res.body;
}

/** Retries while another service's projection catches up (the answer is 404 or 409 until then). */
async function eventually<T>(
  what: string,
  attempt: () => Promise<ApiResponse<T>>,
  status: number,
): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await attempt();
    if (r.status === status) return r.body;
    if (![404, 409].includes(r.status) || Date.now() > deadline) return expectStatus(r, status, what);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export function referralBody(pcn: string, practice: string): Record<string, unknown> {
  return {
    pcnCode: pcn,
    practiceCode: practice,
    referrer: { name: 'Dr Matrix', role: 'GP' },
    patient: {
      nhsNumber: NhsNumber.generateTestNumber().value,
      givenName: 'Scope',
      familyName: 'Tester',
      birthDate: '1960-05-05',
      postcode: 'LS6 2AB',
    },
    needs: ['loneliness'],
  };
}

export function serviceBody(orgId: string, name: string, size = 100): Record<string, unknown> {
  return {
    organisationId: orgId,
    name,
    needs: ['loneliness', 'nature'],
    postcode: 'LS6 1AA',
    radiusKm: 50,
    mode: 'online',
    maxActive: size,
    weeklyIntake: size,
  };
}

/** A referral of `pcn` with consent to share, assessed, and (with `serviceId`) a pending offer there. */
async function referralWithOffer(
  call: Call,
  pcn: string,
  practice: string,
  lw: string,
  serviceId?: string,
): Promise<{ referralId: string; consentId: string; offerId?: string }> {
  const referral = expectStatus(
    await call<{ id: string }>('POST', '/api/v1/referrals', lw, referralBody(pcn, practice)),
    201,
    `referral in ${pcn}`,
  );
  const consent = await eventually(
    `consent for a referral in ${pcn}`,
    () =>
      call<{ id: string }>('POST', '/api/v1/consents', lw, {
        referralId: referral.id,
        decision: 'granted',
        method: 'verbal',
        shareWithVcso: true,
      }),
    201,
  );
  await eventually(
    `assessment of a referral in ${pcn}`,
    () => call('POST', `/api/v1/referrals/${referral.id}/assessment`, lw, { needs: ['loneliness'] }),
    200,
  );
  if (!serviceId) return { referralId: referral.id, consentId: consent.id };
  const offer = await eventually(
    `an offer for a referral in ${pcn}`,
    () => call<{ id: string }>('POST', '/api/v1/offers', lw, { referralId: referral.id, serviceId }),
    201,
  );
  return { referralId: referral.id, consentId: consent.id, offerId: offer.id };
}

export async function seedWorld(h: PlatformHarness): Promise<World> {
  const call = caller(h);
  const mint = (claims: AuthClaims) => h.token(claims);
  const admin = await mint({ sub: 'authz-admin', role: 'admin' });
  const scope = async (which: 'A' | 'B') => {
    const codes = SCOPE_CODES[which];
    const lw = await mint({ sub: `authz-lw-${which}`, role: 'link_worker', pcn: codes.pcn });
    const ops = await mint({ sub: `authz-ops-${which}`, role: 'pcn_ops', pcn: codes.pcn });
    expectStatus(
      await call('POST', '/api/v1/pcns', admin, {
        code: codes.pcn,
        name: `Scope ${which} PCN`,
        icsCode: codes.ics,
        practices: [{ code: codes.practice, name: `Scope ${which} Surgery`, postcode: 'LS6 1AA' }],
      }),
      201,
      `PCN ${which}`,
    );
    const org = expectStatus(
      await call<{ id: string }>('POST', '/api/v1/organisations', ops, {
        name: `Scope ${which} Befrienders`,
        icsCode: codes.ics,
        contactEmail: `team-${which.toLowerCase()}@example.org`,
      }),
      201,
      `organisation ${which}`,
    );
    const service = expectStatus(
      await call<{ id: string }>(
        'POST',
        '/api/v1/services',
        ops,
        serviceBody(org.id, `Scope ${which} walks`),
      ),
      201,
      `service ${which}`,
    );
    const co = await mint({ sub: `authz-co-${which}`, role: 'vcso_coordinator', org: org.id });
    const r = await referralWithOffer(call, codes.pcn, codes.practice, lw, service.id);
    const s: Scope = { ...codes, orgId: org.id, serviceId: service.id, ...r, offerId: r.offerId! };
    return { scope: s, lw, ops, co };
  };
  const [a, b] = await Promise.all([scope('A'), scope('B')]);
  const A = a.scope;
  const B = b.scope;
  const tokens: Record<Role, string> = {
    referrer: await mint({ sub: 'authz-referrer', role: 'referrer', pcn: A.pcn, practice: A.practice }),
    link_worker: a.lw,
    pcn_ops: a.ops,
    vcso_coordinator: a.co,
    ics_analyst: await mint({ sub: 'authz-ics', role: 'ics_analyst', ics: A.ics }),
    admin,
  };
  // Every read in the matrix must find its object: wait for the projections that serve them.
  for (const [s, co] of [
    [A, a.co],
    [B, b.co],
  ] as const) {
    await eventually(
      'contact details for the offer holder',
      () => call('GET', `/api/v1/referrals/${s.referralId}/contact`, co),
      200,
    );
    await eventually('matches', () => call('GET', `/api/v1/matches/${s.referralId}`, admin), 200);
    await eventually(
      'load history in commissioning-metrics',
      () => call('GET', `/api/v1/metrics/vcso-load/${s.serviceId}/history`, admin),
      200,
    );
  }
  return {
    A,
    B,
    tokens,
    tokensB: { link_worker: b.lw, pcn_ops: b.ops, vcso_coordinator: b.co },
  };
}

/** The objects fuzzing aims at (see fuzz-targets.ts), in scope A. */
export async function seedFuzzFixtures(h: PlatformHarness, w: World): Promise<FuzzFixtures> {
  const call = caller(h);
  const lw = w.tokens.link_worker;
  const { pcn, practice } = w.A;
  const service = expectStatus(
    await call<{ id: string }>(
      'POST',
      '/api/v1/services',
      w.tokens.pcn_ops,
      serviceBody(w.A.orgId, 'Fuzz', 1000),
    ),
    201,
    'fuzz service',
  );
  const g = await referralWithOffer(call, pcn, practice, lw, service.id);
  for (const [measure, scores] of [
    ['ons4', [6, 7, 5, 4]],
    ['swemwbs', [3, 3, 4, 3, 3, 4, 3]],
  ] as const) {
    for (const stage of ['baseline', 'follow-up']) {
      expectStatus(
        await call('POST', `/api/v1/referrals/${g.referralId}/outcomes`, lw, { measure, stage, scores }),
        201,
        `${measure} ${stage} outcome`,
      );
    }
  }
  const hRef = await referralWithOffer(call, pcn, practice, lw, service.id);
  expectStatus(
    await call('POST', `/api/v1/offers/${hRef.offerId}/accept`, w.tokens.vcso_coordinator),
    200,
    'accepting offer H',
  );
  const c = expectStatus(
    await call<{ id: string }>('POST', '/api/v1/referrals', lw, referralBody(pcn, practice)),
    201,
    'referral C',
  );
  expectStatus(
    await call('POST', `/api/v1/referrals/${c.id}/close`, lw, { reason: 'other' }),
    200,
    'closing C',
  );
  const wRef = await referralWithOffer(call, pcn, practice, lw);
  expectStatus(
    await call('POST', `/api/v1/consents/${wRef.consentId}/withdraw`, lw, { reason: 'person-request' }),
    200,
    'withdrawing consent W',
  );
  return {
    ownPcn: pcn,
    otherPcn: w.B.pcn,
    referralG: g.referralId,
    pendingOfferG: g.offerId!,
    acceptedOfferH: hRef.offerId!,
    closedReferralC: c.id,
    withdrawnConsentW: wRef.consentId,
    serviceF: service.id,
  };
}
