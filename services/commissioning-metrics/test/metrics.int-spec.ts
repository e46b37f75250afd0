import type { INestApplication } from '@nestjs/common';
import type { AuthClaims } from '@sp/auth';
import {
  validateEvent,
  type AnalyticsStatusChangedV1,
  type CloseReason,
  type CloudEvent,
  type ReferralStatus,
} from '@sp/contracts';
import { collectEvents, type EventCollector } from '@sp/messaging';
import { StatementCounter } from '@sp/persistence';
import { waitFor } from '@sp/testing';
import { createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MetricsHarness, testEvent as event } from './metrics-harness';
import { IcsRemap } from '../src/projections/ics-remap';
import { AnalyticsStream } from '../src/stream/analytics-stream';

/**
 * commissioning-metrics in-process on a test port with its own database and consumer group (started at
 * the topics' current ends, so only this spec's events count), fed real events on the referral, consent,
 * matching and capacity topics, and read back through its routes and sp.analytics.events.v1.
 */
const PORT = 3115;
// PCNs and an ICS of this run alone, so that ICS-wide figures hold only this spec's referrals.
const pcn = () => `U9${String(randomInt(0, 10000)).padStart(4, '0')}`;
const PCN_A = pcn();
let PCN_B = pcn();
while (PCN_B === PCN_A) PCN_B = pcn();
const ICS = `Q${randomBytes(1).toString('hex').toUpperCase()}`;
// Neither is a hex pair, so neither can be ICS; unmapped PCNs (anyone else's traffic) go to the third.
const OTHER_ICS = 'QZZ';
const UNMAPPED_ICS = 'QZY';
const ICS_KEY = randomBytes(16).toString('hex');
const PRACTICE_X = 'P90001';
const PRACTICE_Y = 'P90002';
const T0 = Date.parse('2026-01-05T09:00:00Z'); // a Monday: ISO week 2026-W02
const day = (n: number) => new Date(T0 + n * 86_400_000).toISOString();

let app: INestApplication;
let ds: DataSource;
let analytics: EventCollector;
const CLAIMS: Record<string, AuthClaims> = {
  opsA: { sub: 'ops-a', role: 'pcn_ops', pcn: PCN_A },
  opsB: { sub: 'ops-b', role: 'pcn_ops', pcn: PCN_B },
  analyst: { sub: 'analyst', role: 'ics_analyst', ics: ICS },
  otherAnalyst: { sub: 'analyst-2', role: 'ics_analyst', ics: OTHER_ICS },
  lw: { sub: 'lw', role: 'link_worker', pcn: PCN_A },
  admin: { sub: 'admin', role: 'admin' },
};
const h = new MetricsHarness({
  name: 'commissioning-metrics-it',
  port: PORT,
  env: {
    PCN_ICS_MAP: JSON.stringify({ [PCN_A]: ICS, [PCN_B]: ICS }),
    DEFAULT_ICS_CODE: UNMAPPED_ICS,
    ANALYTICS_ICS_KEYS: JSON.stringify({ [ICS]: ICS_KEY }),
    STREAM_HEARTBEAT_MS: '300',
  },
  claims: CLAIMS,
});
const { tokens, send, allConsumed, get } = h;

interface Referral {
  id: string;
  pcnCode: string;
  practiceCode: string;
  personKey: string;
  needs: ('loneliness' | 'money' | 'housing')[];
  statuses: number;
}

function received(r: Referral, at: string): CloudEvent {
  return event('referral.received.v1', {
    referralId: r.id,
    personKey: r.personKey,
    pcnCode: r.pcnCode,
    practiceCode: r.practiceCode,
    needs: r.needs,
    ageBand: '65-74',
    postcodeDistrict: 'LS6',
    source: 'api',
    receivedAt: at,
  });
}

function status(
  r: Referral,
  from: ReferralStatus | undefined,
  to: ReferralStatus,
  at: string,
  closeReason?: CloseReason,
): CloudEvent {
  r.statuses++;
  return event('referral.status-changed.v1', {
    referralId: r.id,
    pcnCode: r.pcnCode,
    practiceCode: r.practiceCode,
    ...(from ? { from } : {}),
    to,
    ...(closeReason ? { closeReason } : {}),
    responsibleParty: 'link-worker',
    changedAt: at,
  });
}

const consent = (r: Referral, at: string) =>
  event('consent.granted.v1', {
    consentId: randomUUID(),
    referralId: r.id,
    pcnCode: r.pcnCode,
    method: 'verbal',
    shareWithVcso: true,
    recordedAt: at,
  });
const declined = (r: Referral, at: string) =>
  event('consent.declined.v1', {
    consentId: randomUUID(),
    referralId: r.id,
    pcnCode: r.pcnCode,
    method: 'verbal',
    recordedAt: at,
  });
const assessed = (r: Referral, at: string) =>
  event('referral.assessed.v1', {
    referralId: r.id,
    pcnCode: r.pcnCode,
    needs: r.needs,
    autoOffer: false,
    assessedAt: at,
  });
const SERVICE = randomUUID();
const ORG = randomUUID();
const offerRef = (r: Referral, offerId: string) => ({
  offerId,
  referralId: r.id,
  serviceId: SERVICE,
  organisationId: ORG,
  pcnCode: r.pcnCode,
});
const offered = (r: Referral, offerId: string, at: string) =>
  event('offer.made.v1', { ...offerRef(r, offerId), auto: false, expiresAt: at, madeAt: at });
const accepted = (r: Referral, offerId: string, at: string) =>
  event('offer.accepted.v1', { ...offerRef(r, offerId), at });
const completed = (r: Referral, offerId: string, at: string, outcome: 'completed' | 'did-not-attend') =>
  event('offer.completed.v1', { ...offerRef(r, offerId), outcome, at });
const closed = (r: Referral, reason: CloseReason, at: string) =>
  event('referral.closed.v1', { referralId: r.id, pcnCode: r.pcnCode, reason, closedAt: at });
const waitlisted = (r: Referral, at: string) =>
  event('referral.waitlisted.v1', {
    referralId: r.id,
    pcnCode: r.pcnCode,
    needs: r.needs,
    postcodeDistrict: 'LS6',
    waitlistedAt: at,
  });
const unmet = (r: Referral, at: string) =>
  event('need.unmet.v1', {
    referralId: r.id,
    pcnCode: r.pcnCode,
    needs: r.needs,
    postcodeDistrict: 'LS6',
    reason: 'waitlisted',
    at,
  });

function referral(
  pcnCode: string,
  practiceCode: string,
  needs: Referral['needs'] = ['loneliness'],
): Referral {
  return {
    id: randomUUID(),
    pcnCode,
    practiceCode,
    personKey: randomBytes(32).toString('hex'),
    needs,
    statuses: 0,
  };
}

interface Summary {
  pcnCode?: string;
  icsCode?: string;
  disclosure: { exact: boolean; threshold: number; roundingBase: number };
  counts: Record<string, number | null>;
  closedByReason: Record<string, number | null>;
  days: Record<string, { count: number | null; median: number | null; p90: number | null }>;
  suppressed: string[];
}

// PCN A: six referrals in the week of T0, one in December; every figure is worked out by hand below.
const A = {
  r0: referral(PCN_A, PRACTICE_X),
  r1: referral(PCN_A, PRACTICE_X, ['loneliness', 'money']),
  r2: referral(PCN_A, PRACTICE_X),
  r3: referral(PCN_A, PRACTICE_X),
  r4: referral(PCN_A, PRACTICE_Y),
  r5: referral(PCN_A, PRACTICE_Y),
  r6: referral(PCN_A, PRACTICE_Y),
};
// PCN B: 13 received, 12 consented, 1 declined, 3 offered: ICS figures 15, 10, suppressed, suppressed.
const B = Array.from({ length: 13 }, () => referral(PCN_B, PRACTICE_X, ['housing']));

/** Receipt, plus its first status, as intake announces a new referral. */
const arrive = (r: Referral, at: string) => [received(r, at), status(r, undefined, 'awaiting-consent', at)];

async function feedScenario(): Promise<void> {
  const { r0, r1, r2, r3, r4, r5, r6 } = A;
  const o1 = randomUUID();
  const o2 = randomUUID();
  const o3 = randomUUID();
  const grant1 = consent(r1, day(1));
  const r1Accepted = status(r1, 'offered', 'accepted', day(4));
  await send(
    // r0: received before the window.
    ...arrive(r0, '2025-12-15T10:00:00Z'),
    consent(r0, '2025-12-16T10:00:00Z'),
    // r1: consent 1 day, offer 3, accepted 4, completed.
    ...arrive(r1, day(0)),
    grant1,
    status(r1, 'awaiting-consent', 'awaiting-assessment', day(1)),
    assessed(r1, day(2)),
    status(r1, 'awaiting-assessment', 'matching', day(2)),
    offered(r1, o1, day(3)),
    status(r1, 'matching', 'offered', day(3)),
    accepted(r1, o1, day(4)),
    r1Accepted,
    completed(r1, o1, day(10), 'completed'),
    status(r1, 'accepted', 'completed', day(10)),
    // r2: consent 2, waitlisted 4, offer 5, accepted 7, did not attend.
    ...arrive(r2, day(0)),
    consent(r2, day(2)),
    assessed(r2, day(3)),
    waitlisted(r2, day(4)),
    unmet(r2, day(4)),
    offered(r2, o2, day(5)),
    accepted(r2, o2, day(7)),
    completed(r2, o2, day(20), 'did-not-attend'),
    // r4: declined and closed.
    ...arrive(r4, day(0)),
    declined(r4, day(1)),
    status(r4, 'awaiting-consent', 'closed', day(1), 'consent-declined'),
    closed(r4, 'consent-declined', day(1)),
    // r5: no contact.
    ...arrive(r5, day(0)),
    status(r5, 'awaiting-consent', 'closed', day(6), 'no-contact'),
    closed(r5, 'no-contact', day(6)),
    // r6: consent 4, waitlisted with need unmet.
    ...arrive(r6, day(0)),
    consent(r6, day(4)),
    assessed(r6, day(5)),
    status(r6, 'matching', 'waitlisted', day(5)),
    waitlisted(r6, day(5)),
    unmet(r6, day(5)),
  );
  // r3 arrives out of order: matching and consent hear of it before intake's receipt lands.
  await send(
    accepted(r3, o3, day(11)),
    offered(r3, o3, day(9)),
    consent(r3, day(3)),
    status(r3, 'offered', 'accepted', day(11)),
    assessed(r3, day(4)),
  );
  await send(...arrive(r3, day(0)));
  // Redeliveries (same ce_id) of r1's consent and of a status change: neither may count twice.
  await send(grant1, r1Accepted);

  for (const [i, r] of B.entries()) {
    const events = [...arrive(r, day(0))];
    if (i < 12) events.push(consent(r, day(2)));
    else events.push(declined(r, day(1)));
    if (i < 3) events.push(offered(r, randomUUID(), day(6)));
    await send(...events);
  }
}

beforeAll(async () => {
  await h.start();
  ({ app, ds, analytics } = h);
  await feedScenario();
  await allConsumed();
}, 180000);

afterAll(() => h.stop());

describe('the service', () => {
  it('is ready, and documents its routes', async () => {
    expect((await fetch(`${h.origin}/health`)).status).toBe(200);
    const doc = (await (await fetch(`${h.origin}/docs/json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(
      Object.keys(doc.paths)
        .filter((p) => p.startsWith('/api/v1/'))
        .sort(),
    ).toEqual([
      '/api/v1/metrics/export.csv',
      '/api/v1/metrics/outcomes',
      '/api/v1/metrics/outcomes.csv',
      '/api/v1/metrics/service-outcomes',
      '/api/v1/metrics/summary',
      '/api/v1/metrics/unmet-need',
      '/api/v1/metrics/vcso-load',
      '/api/v1/metrics/vcso-load/{serviceId}/history',
      '/api/v1/stream',
    ]);
  });
});

describe('GET /metrics/summary', () => {
  it('gives PCN operations every figure of their PCN exactly', async () => {
    const res = await get<Summary>(`/metrics/summary?from=2026-01-01&to=2026-02-01`, tokens.opsA);
    expect(res.status).toBe(200);
    expect(res.body.pcnCode).toBe(PCN_A);
    expect(res.body.disclosure).toEqual({ exact: true, threshold: 7, roundingBase: 5 });
    expect(res.body.counts).toEqual({
      received: 6,
      consented: 4,
      consentDeclined: 1,
      assessed: 4,
      offered: 3,
      waitlisted: 2,
      accepted: 3,
      completed: 1,
      didNotAttend: 1,
      closed: 2,
    });
    expect(res.body.closedByReason).toEqual({
      'consent-declined': 1,
      'consent-withdrawn': 0,
      'person-declined': 0,
      'no-contact': 1,
      'no-suitable-service': 0,
      other: 0,
    });
    // Consent after 1, 2, 3, 4 days; first offer after 3, 5, 9; acceptance after 4, 7, 11.
    expect(res.body.days).toEqual({
      toConsent: { count: 4, median: 2.5, p90: 3.7 },
      toFirstOffer: { count: 3, median: 5, p90: 8.2 },
      toAcceptance: { count: 3, median: 7, p90: 10.2 },
    });
    expect(res.body.suppressed).toEqual([]);
  });

  it('counts the referral received before the window only without one', async () => {
    const all = await get<Summary>(`/metrics/summary`, tokens.opsA);
    expect(all.body.counts.received).toBe(7);
    expect(all.body.counts.consented).toBe(5);
    const december = await get<Summary>(`/metrics/summary?from=2025-12-01&to=2026-01-01`, tokens.opsA);
    expect(december.body.counts.received).toBe(1);
    expect(december.body.days.toConsent).toEqual({ count: 1, median: 1, p90: 1 });
  });

  it('applies the small-number rule for an ICS analyst: 13 -> 15, 12 -> 10, 3 and 1 suppressed', async () => {
    const res = await get<Summary>(`/metrics/summary?pcnCode=${PCN_B}`, tokens.analyst);
    expect(res.status).toBe(200);
    expect(res.body.icsCode).toBe(ICS);
    expect(res.body.disclosure).toEqual({ exact: false, threshold: 7, roundingBase: 5 });
    expect(res.body.counts).toMatchObject({
      received: 15,
      consented: 10,
      consentDeclined: null,
      offered: null,
      assessed: 0,
      accepted: 0,
    });
    expect(res.body.days.toConsent).toEqual({ count: 10, median: 2, p90: 2 });
    expect(res.body.days.toFirstOffer).toEqual({ count: null, median: null, p90: null });
    expect(res.body.suppressed).toEqual(
      expect.arrayContaining(['consentDeclined', 'offered', 'days.toFirstOffer.median']),
    );
    // The same PCN's own team sees it exactly.
    const exact = await get<Summary>(`/metrics/summary`, tokens.opsB);
    expect(exact.body.counts).toMatchObject({ received: 13, consented: 12, consentDeclined: 1, offered: 3 });
    // The whole ICS: 7 + 13 = 20 received; 5 + 12 = 17 consented -> 15.
    const ics = await get<Summary>(`/metrics/summary`, tokens.analyst);
    expect(ics.body.counts).toMatchObject({ received: 20, consented: 15 });
    // No count from 1 to 7 anywhere in an ICS answer.
    const numbers = JSON.stringify(ics.body.counts) + JSON.stringify(ics.body.closedByReason);
    expect(numbers).not.toMatch(/:[1-7][,}]/);
  });

  it('keeps each caller to their scope: 404 for another PCN, nothing from another ICS, 403 and 401', async () => {
    expect((await get(`/metrics/summary?pcnCode=${PCN_B}`, tokens.opsA)).status).toBe(404);
    expect((await get(`/metrics/summary?pcnCode=${PCN_A}`, tokens.otherAnalyst)).status).toBe(404);
    const other = await get<Summary>(`/metrics/summary`, tokens.otherAnalyst);
    expect(other.body.counts.received).toBe(0);
    expect((await get(`/metrics/summary`, tokens.lw)).status).toBe(403);
    expect((await get(`/metrics/summary`, undefined)).status).toBe(401);
    const bad = await get<{ errors: { field: string }[] }>(
      `/metrics/summary?pcnCode=X&from=soon`,
      tokens.admin,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e) => e.field).sort()).toEqual(['from', 'pcnCode']);
  });
});

describe('GET /metrics/unmet-need and /metrics/export.csv', () => {
  it('counts unmet need by need and district, suppressed for the ICS', async () => {
    const ops = await get<{ items: { need: string; postcodeDistrict: string; referrals: number | null }[] }>(
      `/metrics/unmet-need`,
      tokens.opsA,
    );
    expect(ops.body.items).toEqual([
      { need: 'loneliness', postcodeDistrict: 'LS6', referrals: 2, waitlisted: 2, noSuitableService: 0 },
    ]);
    const ics = await get<{ items: unknown[] }>(`/metrics/unmet-need`, tokens.analyst);
    expect(ics.body.items).toEqual([
      {
        need: 'loneliness',
        postcodeDistrict: 'LS6',
        referrals: null,
        waitlisted: null,
        noSuitableService: 0,
      },
    ]);
  });

  it('exports the figures by week, PCN, practice and need; * where the ICS view suppresses', async () => {
    const ops = await get<string>(`/metrics/export.csv?from=2026-01-01`, tokens.opsA);
    expect(ops.status).toBe(200);
    expect(ops.type).toContain('text/csv');
    const lines = ops.body.trim().split('\r\n');
    expect(lines[0]).toBe(
      'week,pcnCode,practiceCode,need,received,consented,consentDeclined,assessed,offered,waitlisted,accepted,' +
        'completed,didNotAttend,closed,closed:consent-declined,closed:consent-withdrawn,closed:person-declined,' +
        'closed:no-contact,closed:no-suitable-service,closed:other',
    );
    expect(lines.slice(1)).toEqual([
      `2026-W02,${PCN_A},${PRACTICE_X},loneliness,3,3,0,3,3,1,3,1,1,0,0,0,0,0,0,0`,
      `2026-W02,${PCN_A},${PRACTICE_X},money,1,1,0,1,1,0,1,1,0,0,0,0,0,0,0,0`,
      `2026-W02,${PCN_A},${PRACTICE_Y},loneliness,3,1,1,1,0,1,0,0,0,2,1,0,0,1,0,0`,
    ]);
    const ics = await get<string>(`/metrics/export.csv?pcnCode=${PCN_B}`, tokens.analyst);
    expect(ics.body.trim().split('\r\n').slice(1)).toEqual([
      `2026-W02,${PCN_B},${PRACTICE_X},housing,15,10,*,0,*,0,0,0,0,0,0,0,0,0,0,0`,
    ]);
  });
});

describe('GET /metrics/service-outcomes', () => {
  it("counts what became of each service's offers, suppressed for the ICS", async () => {
    const ops = await get<{ items: Record<string, unknown>[] }>(`/metrics/service-outcomes`, tokens.opsA);
    expect(ops.body.items).toEqual([
      {
        serviceId: SERVICE,
        organisationId: ORG,
        offered: 3,
        accepted: 3,
        declined: 0,
        expired: 0,
        cancelled: 0,
        completed: 1,
        didNotAttend: 1,
      },
    ]);
    const ics = await get<{ items: { serviceId: string; offered: number | null }[] }>(
      `/metrics/service-outcomes?pcnCode=${PCN_A}`,
      tokens.analyst,
    );
    expect(ics.body.items).toEqual([
      expect.objectContaining({ serviceId: SERVICE, offered: null, declined: 0 }),
    ]);
  });
});

describe('sp.analytics.events.v1', () => {
  const ALLOWED = new Set([
    'personKey',
    'icsCode',
    'pcnCode',
    'practiceCode',
    'ageBand',
    'postcodeDistrict',
    'needs',
    'from',
    'to',
    'at',
  ]);

  it('carries one de-identified event for every status change, re-keyed for the ICS', async () => {
    const all = [...Object.values(A), ...B];
    for (const r of all) {
      const key = createHmac('sha256', ICS_KEY).update(r.personKey).digest('hex');
      const mine = await waitFor(
        () => {
          const found = analytics.events.filter(
            (e) => e.type === 'analytics.status-changed.v1' && e.subject === key,
          );
          return found.length >= r.statuses ? found : undefined;
        },
        { message: `${r.statuses} analytics status changes for a referral of ${r.pcnCode}` },
      );
      expect(mine).toHaveLength(r.statuses);
      // Every event was consumed before this spec ran, so the outbox holds all that will ever be sent.
      const [{ n }]: { n: number }[] = await ds.query(
        `SELECT count(*)::int AS n FROM outbox WHERE key = $1 AND type = 'analytics.status-changed.v1'`,
        [key],
      );
      expect(n).toBe(r.statuses);
      for (const ev of mine) {
        expect(validateEvent(ev)).toEqual([]);
        const data = ev.data as AnalyticsStatusChangedV1;
        expect(Object.keys(data).every((k) => ALLOWED.has(k))).toBe(true);
        expect(data).toMatchObject({ icsCode: ICS, pcnCode: r.pcnCode, practiceCode: r.practiceCode });
        expect(data.personKey).not.toBe(r.personKey);
        const text = JSON.stringify(ev);
        expect(text).not.toContain(r.personKey);
        expect(text).not.toContain(r.id);
      }
    }
    // r3's changes came before its receipt, and were published once the receipt told who and where.
    const r3 = createHmac('sha256', ICS_KEY).update(A.r3.personKey).digest('hex');
    const r3Events = analytics.events
      .filter((e) => e.subject === r3)
      .map((e) => (e.data as AnalyticsStatusChangedV1).to);
    expect(r3Events.sort()).toEqual(['accepted', 'awaiting-consent']);
  });
});

describe('GET /metrics/vcso-load and GET /stream', () => {
  it('keeps the newest load per service, publishes every change, and streams it to a connected client', async () => {
    const serviceId = randomUUID();
    const organisationId = randomUUID();
    const stream = app.get(AnalyticsStream);
    await stream.ready;

    const ctrl = new AbortController();
    const res = await fetch(`${h.origin}/api/v1/stream`, {
      headers: { authorization: `Bearer ${tokens.analyst}` },
      signal: ctrl.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    let text = '';
    const decoder = new TextDecoder();
    const reading = (async () => {
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
          text += decoder.decode(chunk);
      } catch {
        // Aborted at the end of the test.
      }
    })();

    try {
      const update = (active: number, status: 'open' | 'full', changedAt: string) =>
        event('capacity.updated.v1', {
          serviceId,
          organisationId,
          maxActive: 10,
          weeklyIntake: 5,
          active,
          reserved: 0,
          offersThisWeek: 1,
          status,
          changedAt,
        });
      await send(
        event('service.registered.v1', {
          serviceId,
          organisationId,
          icsCode: ICS,
          needs: ['loneliness'],
          postcodeDistrict: 'LS6',
          locationKnown: false,
          radiusKm: 5,
          languages: ['en'],
          accessibility: [],
          mode: 'in-person',
          maxActive: 10,
          weeklyIntake: 5,
          registeredAt: day(0),
        }),
        update(10, 'full', new Date(Date.now() - 1000).toISOString()),
        // Older, arriving late: history only.
        update(4, 'open', new Date(Date.now() - 60_000).toISOString()),
      );
      await allConsumed();

      const load = await get<{
        items: { serviceId: string; active: number; utilisation: number; status: string }[];
      }>(`/metrics/vcso-load`, tokens.analyst);
      expect(load.body.items.find((s) => s.serviceId === serviceId)).toMatchObject({
        active: 10,
        utilisation: 1,
        status: 'full',
      });
      const other = await get<{ items: { serviceId: string }[] }>(`/metrics/vcso-load`, tokens.otherAnalyst);
      expect(other.body.items.find((s) => s.serviceId === serviceId)).toBeUndefined();
      const [{ n }]: { n: number }[] = await ds.query(
        `SELECT count(*)::int AS n FROM service_load_history WHERE service_id = $1`,
        [serviceId],
      );
      expect(n).toBe(2);
      const history = await get<{ items: { active: number; status: string; utilisation: number }[] }>(
        `/metrics/vcso-load/${serviceId}/history`,
        tokens.opsA,
      );
      expect(history.body.items.map((p) => [p.active, p.status, p.utilisation])).toEqual([
        [4, 'open', 0.4],
        [10, 'full', 1],
      ]);
      expect((await get(`/metrics/vcso-load/${serviceId}/history`, tokens.otherAnalyst)).status).toBe(404);

      const loadEvents = await waitFor(
        () => {
          const found = analytics.events.filter(
            (e) => e.type === 'analytics.load-changed.v1' && e.subject === serviceId,
          );
          return found.length >= 2 ? found : undefined;
        },
        { message: 'two analytics.load-changed.v1 for the service' },
      );
      expect(loadEvents.map((e) => validateEvent(e))).toEqual([[], []]);
      expect(loadEvents[0].data).toMatchObject({ icsCode: ICS, active: 10, utilisation: 1, status: 'full' });

      await waitFor(() => text.includes(serviceId), { message: 'the load change on the SSE stream' });
      expect(text).toContain('event: analytics.load-changed.v1');
      await waitFor(() => text.includes(': heartbeat'), { message: 'a heartbeat comment on the stream' });
      const frame = text.split('\n\n').find((f) => f.includes(serviceId))!;
      const data = JSON.parse(
        frame
          .split('\n')
          .find((l) => l.startsWith('data: '))!
          .slice(6),
      ) as {
        serviceId: string;
      };
      expect(data.serviceId).toBe(serviceId);
    } finally {
      ctrl.abort();
      await reading;
    }
  });

  it('refuses the stream to other roles (403) and without a token (401)', async () => {
    expect(
      (await fetch(`${h.origin}/api/v1/stream`, { headers: { authorization: `Bearer ${tokens.lw}` } }))
        .status,
    ).toBe(403);
    expect((await fetch(`${h.origin}/api/v1/stream`)).status).toBe(401);
  });
});

describe('PCN to ICS mapping', () => {
  it('re-maps rows projected under an older mapping when the service boots', async () => {
    const stale = randomUUID();
    const stranger = randomUUID();
    await ds.query(
      `INSERT INTO referral_fact (referral_id, pcn_code, ics_code) VALUES ($1, $2, 'QZX'), ($3, 'U99999', 'QZX')`,
      [stale, PCN_A, stranger],
    );
    await app.get(IcsRemap).onApplicationBootstrap();
    const rows: { referral_id: string; ics_code: string }[] = await ds.query(
      `SELECT referral_id, ics_code FROM referral_fact WHERE referral_id = ANY($1::uuid[])`,
      [[stale, stranger]],
    );
    expect(Object.fromEntries(rows.map((r) => [r.referral_id, r.ics_code]))).toEqual({
      [stale]: ICS,
      [stranger]: UNMAPPED_ICS,
    });
    await ds.query(`DELETE FROM referral_fact WHERE referral_id = ANY($1::uuid[])`, [[stale, stranger]]);
  });
});

describe('poison events', () => {
  it('dead-letters an event that breaks the contract, and carries on', async () => {
    const dlq = await collectEvents('sp.referral.events.v1.dlq', 'commissioning-metrics-it-dlq');
    try {
      const bad = referral(PCN_A, PRACTICE_X);
      const poison = received(bad, day(0));
      poison.data = { ...(poison.data as object), postcodeDistrict: 'LS6 1AA' };
      const good = referral(PCN_A, PRACTICE_X);
      await send(poison, ...arrive(good, '2025-11-03T09:00:00Z'));
      const dead = await waitFor(() => dlq.events.find((e) => e.id === poison.id), {
        message: 'the poison event on sp.referral.events.v1.dlq',
      });
      expect(dlq.headers.get(dead.id)).toMatchObject({ dlq_consumer: h.group });
      expect(dlq.headers.get(dead.id)?.dlq_reason).toMatch(/postcodeDistrict/);
      await allConsumed();
      const rows: unknown[] = await ds.query(`SELECT 1 FROM referral_fact WHERE referral_id = $1`, [bad.id]);
      expect(rows).toEqual([]);
      const nov = await get<Summary>(`/metrics/summary?from=2025-11-01&to=2025-12-01`, tokens.opsA);
      expect(nov.body.counts.received).toBe(1);
    } finally {
      await dlq.stop();
    }
  });
});

describe('a burst of receipts and status changes', () => {
  it('takes them a run at a time, out of order, twice over and repeated, to the same rows and twins', async () => {
    const burst = Array.from({ length: 60 }, () => referral(PCN_B, PRACTICE_Y));
    // A UUID in upper case is as good as any to the contract; Postgres gives it back in lower case.
    burst[59].id = burst[59].id.toUpperCase();
    const events: CloudEvent[] = [];
    const expected = new Map<string, { last: ReferralStatus; tos: ReferralStatus[] }>();
    for (const [i, r] of burst.entries()) {
      const first = status(r, undefined, 'awaiting-consent', day(0));
      if (i % 6 === 0) {
        // Its changes before its receipt: pending until the receipt, in the same run.
        const next = status(r, 'awaiting-consent', 'awaiting-assessment', day(1));
        events.push(first, next, received(r, day(0)));
        expected.set(r.id, { last: 'awaiting-assessment', tos: ['awaiting-consent', 'awaiting-assessment'] });
      } else if (i % 6 === 1) {
        // Two changes of one referral in one run: two rounds, in order.
        events.push(received(r, day(0)), first, status(r, 'awaiting-consent', 'waitlisted', day(2)));
        expected.set(r.id, { last: 'waitlisted', tos: ['awaiting-consent', 'waitlisted'] });
      } else if (i % 6 === 2) {
        events.push(
          received(r, day(0)),
          first,
          status(r, 'awaiting-consent', 'closed', day(3), 'no-contact'),
        );
        expected.set(r.id, { last: 'closed', tos: ['awaiting-consent', 'closed'] });
      } else if (i % 6 === 3) {
        // The same event twice in one run counts once.
        events.push(received(r, day(0)), first, first);
        expected.set(r.id, { last: 'awaiting-consent', tos: ['awaiting-consent'] });
      } else {
        events.push(received(r, day(0)), first);
        expected.set(r.id, { last: 'awaiting-consent', tos: ['awaiting-consent'] });
      }
    }
    // Every statement the service sends in the meantime (the relay's included), but the harness's own
    // polling of the inbox.
    const spy = jest.spyOn(StatementCounter.prototype, 'logQuery');
    await send(...events);
    await allConsumed();
    const sent = spy.mock.calls
      .map((call) =>
        String((call as unknown[])[0])
          .replace(/\s+/g, ' ')
          .trim()
          .slice(0, 60),
      )
      .filter((q) => !q.startsWith('SELECT count(DISTINCT ce_id)::int AS n FROM inbox'));
    spy.mockRestore();

    const ids = burst.map((r) => r.id);
    const facts: {
      referral_id: string;
      status: string;
      received_at: Date;
      waitlisted_at: Date | null;
      closed_at: Date | null;
      close_reason: string | null;
      person_key: string;
    }[] = await ds.query(
      `SELECT referral_id, status, received_at, waitlisted_at, closed_at, close_reason, person_key
         FROM referral_fact WHERE referral_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(facts).toHaveLength(60);
    for (const [i, r] of burst.entries()) {
      const f = facts.find((x) => x.referral_id === r.id.toLowerCase())!;
      expect(f.status).toBe(expected.get(r.id)!.last);
      expect(f.person_key).toBe(r.personKey);
      expect(f.received_at.toISOString()).toBe(day(0));
      expect(f.waitlisted_at?.toISOString() ?? null).toBe(i % 6 === 1 ? day(2) : null);
      expect(f.closed_at?.toISOString() ?? null).toBe(i % 6 === 2 ? day(3) : null);
      expect(f.close_reason).toBe(i % 6 === 2 ? 'no-contact' : null);
    }
    const changes: { referral_id: string; n: number; pending: number }[] = await ds.query(
      `SELECT referral_id, count(*)::int AS n, count(*) FILTER (WHERE published_at IS NULL)::int AS pending
         FROM status_change WHERE referral_id = ANY($1::uuid[]) GROUP BY referral_id`,
      [ids],
    );
    expect(changes).toHaveLength(60);
    for (const c of changes) {
      const r = burst.find((x) => x.id.toLowerCase() === c.referral_id)!;
      expect(c).toMatchObject({ n: expected.get(r.id)!.tos.length, pending: 0 });
    }
    // Each referral's twins, in the order they were written, are its changes in order.
    for (const r of burst) {
      const key = createHmac('sha256', ICS_KEY).update(r.personKey).digest('hex');
      const twins: { to: string }[] = await ds.query(
        `SELECT data->>'to' AS to FROM outbox WHERE key = $1 AND type = 'analytics.status-changed.v1' ORDER BY id`,
        [key],
      );
      expect(twins.map((t) => t.to)).toEqual(expected.get(r.id)!.tos);
    }
    // What the handlers sent, without what each transaction costs whatever it holds (BEGIN, the inbox
    // claim, the ICS look-up, COMMIT) and the relay's passes: one event at a time that was 290 of 362
    // statements here (a receipt one or two, a change two or three); a run at a time, 69 to 73 of 144.
    const overhead = [
      'START TRANSACTION',
      'COMMIT',
      'INSERT INTO inbox',
      'SELECT pg_advisory_xact_lock_shared',
      'SELECT ics_code FROM pcn_ics',
      'WITH lanes AS',
    ];
    const handlers = sent.filter((q) => !overhead.some((o) => q.startsWith(o)));
    const tally = new Map<string, number>();
    for (const q of sent) tally.set(q, (tally.get(q) ?? 0) + 1);
    const detail = [...tally].sort((x, y) => y[1] - x[1]).map(([q, n]) => `${n} ${q}`);
    if (handlers.length >= 100) console.log(`${events.length} events in a burst:\n  ${detail.join('\n  ')}`);
    expect(handlers.length).toBeLessThan(100);
  });
});
