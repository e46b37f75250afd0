import type { AuthClaims } from '@sp/auth';
import { type CloseReason, type CloudEvent, type NeedCode } from '@sp/contracts';
import type { EventCollector } from '@sp/messaging';
import { waitFor } from '@sp/testing';
import { createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MetricsHarness, testEvent as event } from './metrics-harness';

/**
 * Wellbeing outcomes and complementary suppression in commissioning-metrics: the service in-process on
 * its own port, database and consumer group (started at the topics' ends), fed outcome.recorded.v1 and
 * referral events on the real topics, read back through its routes and sp.analytics.events.v1. Every
 * expected figure is worked out by hand next to the scenario.
 */
const PORT = 3132;
const pcn = () => `U8${String(randomInt(0, 10000)).padStart(4, '0')}`;
const PCN_A = pcn();
let PCN_C = pcn();
while (PCN_C === PCN_A) PCN_C = pcn();
const ICS = `Q${randomBytes(1).toString('hex').toUpperCase()}`;
const OTHER_ICS = 'QZZ';
const UNMAPPED_ICS = 'QZY';
const ICS_KEY = randomBytes(16).toString('hex');
const PRACTICE = 'P80001';
const T0 = Date.parse('2026-01-05T09:00:00Z'); // a Monday: ISO week 2026-W02
const day = (n: number) => new Date(T0 + n * 86_400_000).toISOString();
const S1 = randomUUID();
const ORG1 = randomUUID();
const S2 = randomUUID();
const ORG2 = randomUUID();

let ds: DataSource;
let analytics: EventCollector;
const CLAIMS: Record<string, AuthClaims> = {
  opsA: { sub: 'ops-a', role: 'pcn_ops', pcn: PCN_A },
  opsC: { sub: 'ops-c', role: 'pcn_ops', pcn: PCN_C },
  analyst: { sub: 'analyst', role: 'ics_analyst', ics: ICS },
  otherAnalyst: { sub: 'analyst-2', role: 'ics_analyst', ics: OTHER_ICS },
  lw: { sub: 'lw', role: 'link_worker', pcn: PCN_A },
};
const h = new MetricsHarness({
  name: 'commissioning-outcomes-it',
  port: PORT,
  env: {
    PCN_ICS_MAP: JSON.stringify({ [PCN_A]: ICS, [PCN_C]: ICS }),
    DEFAULT_ICS_CODE: UNMAPPED_ICS,
    ANALYTICS_ICS_KEYS: JSON.stringify({ [ICS]: ICS_KEY }),
  },
  claims: CLAIMS,
});
const { tokens, send, allConsumed, get } = h;

interface Referral {
  id: string;
  pcnCode: string;
  personKey: string;
  needs: NeedCode[];
}
const referral = (pcnCode: string, needs: NeedCode[]): Referral => ({
  id: randomUUID(),
  pcnCode,
  personKey: randomBytes(32).toString('hex'),
  needs,
});
const received = (r: Referral, at: string) =>
  event('referral.received.v1', {
    referralId: r.id,
    personKey: r.personKey,
    pcnCode: r.pcnCode,
    practiceCode: PRACTICE,
    needs: r.needs,
    ageBand: '45-54',
    postcodeDistrict: 'LS7',
    source: 'api',
    receivedAt: at,
  });
const closed = (r: Referral, reason: CloseReason, at: string) =>
  event('referral.closed.v1', { referralId: r.id, pcnCode: r.pcnCode, reason, closedAt: at });

// SWEMWBS answers by raw total, with their metric scores from the published table.
const SW = {
  7: { scores: [1, 1, 1, 1, 1, 1, 1], total: 7.0 },
  14: { scores: [2, 2, 2, 2, 2, 2, 2], total: 15.32 },
  21: { scores: [3, 3, 3, 3, 3, 3, 3], total: 19.25 },
  22: { scores: [3, 3, 3, 3, 3, 3, 4], total: 19.98 },
  28: { scores: [4, 4, 4, 4, 4, 4, 4], total: 25.03 },
  35: { scores: [5, 5, 5, 5, 5, 5, 5], total: 35.0 },
} as const;

function outcome(
  r: Referral,
  stage: 'baseline' | 'follow-up',
  answer: { measure: 'ons4'; scores: number[] } | { measure: 'swemwbs'; raw: keyof typeof SW },
  at: string,
  service?: [string, string],
): CloudEvent {
  const scored =
    answer.measure === 'ons4'
      ? { scores: answer.scores }
      : { scores: [...SW[answer.raw].scores], total: SW[answer.raw].total };
  return event('outcome.recorded.v1', {
    outcomeId: randomUUID(),
    referralId: r.id,
    pcnCode: r.pcnCode,
    practiceCode: PRACTICE,
    ...(service ? { serviceId: service[0], organisationId: service[1] } : {}),
    needs: r.needs,
    measure: answer.measure,
    stage,
    ...scored,
    recordedAt: at,
  });
}
const sw = (raw: keyof typeof SW) => ({ measure: 'swemwbs' as const, raw });
const ons4 = (...scores: number[]) => ({ measure: 'ons4' as const, scores });

// Service 1, SWEMWBS, loneliness. In the window (follow-ups from 2026-01-01): p1 15.32 -> 19.25,
// p2 19.25 -> 25.03, p3 7.00 -> 15.32: 3 pairs, baseline (15.32 + 19.25 + 7.00) / 3 = 13.86,
// follow-up (19.25 + 25.03 + 15.32) / 3 = 19.87, change 18.03 / 3 = 6.01. p4 has no follow-up;
// p5's follow-up (7.00 -> 35.00) came in December, before the window.
const P = Array.from({ length: 5 }, () => referral(PCN_A, ['loneliness']));
// Service 1, ONS4: q1 (loneliness and money) [4,5,3,7] -> [6,6,5,4]; q2 (loneliness) [2,3,4,9] -> [5,5,6,6].
// Loneliness, 2 pairs: life satisfaction 3 -> 5.5 (+2.5), worthwhile 4 -> 5.5 (+1.5), happiness
// 3.5 -> 5.5 (+2), anxiety 8 -> 5 (-3, an improvement). Money, 1 pair: q1 alone.
const Q1 = referral(PCN_A, ['loneliness', 'money']);
const Q2 = referral(PCN_A, ['loneliness']);
// Service 2, SWEMWBS, housing, 9 pairs: 5 x 15.32 -> 19.25 and 4 x 19.25 -> 19.98. Baseline
// (5 x 15.32 + 4 x 19.25) / 9 = 153.6 / 9 = 17.07, follow-up (5 x 19.25 + 4 x 19.98) / 9 = 176.17 / 9
// = 19.57, change 22.57 / 9 = 2.51. The ICS sees 9 pairs as 10, with the means.
const H = Array.from({ length: 9 }, () => referral(PCN_A, ['housing']));

// Complementary suppression, PCN C, one practice and need. Week 2026-W02: 12 closed, 9 no-contact and
// 3 person-declined. The ICS sees closed 10 and person-declined suppressed; 10 - 0 - ... - no-contact
// would give the 3 away, so no-contact (the smallest non-zero reason shown) is suppressed too.
// Week 2026-W03: 10 closed, 5 no-contact and 5 other: two reasons already hidden, nothing more to do.
const W02 = Array.from({ length: 12 }, (_, i) => ({ r: referral(PCN_C, ['loneliness']), i }));
const W03 = Array.from({ length: 10 }, (_, i) => ({ r: referral(PCN_C, ['loneliness']), i }));
let redelivered: CloudEvent;

async function feedScenario(): Promise<void> {
  const s1: [string, string] = [S1, ORG1];
  const s2: [string, string] = [S2, ORG2];
  const [p1, p2, p3, p4, p5] = P;
  await send(...[...P, Q1, Q2, ...H].map((r) => received(r, '2025-11-03T09:00:00Z')));
  // p1's baseline was taken before any offer: no service; its follow-up names service 1.
  await send(
    outcome(p1, 'baseline', sw(14), day(0)),
    outcome(p1, 'follow-up', sw(21), day(3), s1),
    outcome(p2, 'baseline', sw(21), day(0), s1),
    outcome(p2, 'follow-up', sw(28), day(4), s1),
    outcome(p3, 'baseline', sw(7), day(0), s1),
    outcome(p3, 'follow-up', sw(14), day(5), s1),
    outcome(p4, 'baseline', sw(35), day(0), s1),
    outcome(p5, 'baseline', sw(7), '2025-11-10T09:00:00Z', s1),
    outcome(p5, 'follow-up', sw(35), '2025-12-20T09:00:00Z', s1),
    outcome(Q1, 'baseline', ons4(4, 5, 3, 7), day(0), s1),
    outcome(Q1, 'follow-up', ons4(6, 6, 5, 4), day(6), s1),
    outcome(Q2, 'baseline', ons4(2, 3, 4, 9), day(0), s1),
    outcome(Q2, 'follow-up', ons4(5, 5, 6, 6), day(6), s1),
  );
  const housing: CloudEvent[] = [];
  for (const [i, r] of H.entries()) {
    const [before, after] = i < 5 ? ([14, 21] as const) : ([21, 22] as const);
    housing.push(
      outcome(r, 'baseline', sw(before), day(1), s2),
      outcome(r, 'follow-up', sw(after), day(8), s2),
    );
  }
  await send(...housing);
  // A redelivery (same ce_id) of a follow-up: it must not make a second pair.
  redelivered = housing[1];
  await send(redelivered);

  await send(
    ...W02.flatMap(({ r, i }) => [
      received(r, day(0)),
      closed(r, i < 9 ? 'no-contact' : 'person-declined', day(1)),
    ]),
    ...W03.flatMap(({ r, i }) => [received(r, day(7)), closed(r, i < 5 ? 'no-contact' : 'other', day(8))]),
  );
}

interface Score {
  item: string;
  higherIsBetter: boolean;
  meanBaseline: number | null;
  meanFollowUp: number | null;
  meanChange: number | null;
}
interface Group {
  serviceId: string | null;
  organisationId: string | null;
  need: string;
  measure: string;
  pairs: number | null;
  scores: Score[];
}
interface Page {
  pcnCode?: string;
  icsCode?: string;
  disclosure: { exact: boolean; threshold: number; roundingBase: number };
  items: Group[];
  total: number;
}

const ons4Scores = (b: (number | null)[], f: (number | null)[], c: (number | null)[]): Score[] =>
  ['lifeSatisfaction', 'worthwhile', 'happiness', 'anxiety'].map((item, i) => ({
    item,
    higherIsBetter: item !== 'anxiety',
    meanBaseline: b[i],
    meanFollowUp: f[i],
    meanChange: c[i],
  }));
const metric = (b: number | null, f: number | null, c: number | null): Score[] => [
  { item: 'metricScore', higherIsBetter: true, meanBaseline: b, meanFollowUp: f, meanChange: c },
];
const hidden = (measure: 'ons4' | 'swemwbs') =>
  measure === 'ons4'
    ? ons4Scores([null, null, null, null], [null, null, null, null], [null, null, null, null])
    : metric(null, null, null);

beforeAll(async () => {
  await h.start();
  ({ ds, analytics } = h);
  await feedScenario();
  await allConsumed();
}, 180000);

afterAll(() => h.stop());

describe('GET /metrics/outcomes', () => {
  const window = 'from=2026-01-01&to=2026-02-01';

  it('gives PCN operations the mean baseline, follow-up and change per service, need and measure', async () => {
    const res = await get<Page>(`/metrics/outcomes?${window}`, tokens.opsA);
    expect(res.status).toBe(200);
    expect(res.body.disclosure.exact).toBe(true);
    expect(res.body.items).toEqual([
      {
        serviceId: S1,
        organisationId: ORG1,
        need: 'loneliness',
        measure: 'ons4',
        pairs: 2,
        scores: ons4Scores([3, 4, 3.5, 8], [5.5, 5.5, 5.5, 5], [2.5, 1.5, 2, -3]),
      },
      {
        serviceId: S1,
        organisationId: ORG1,
        need: 'money',
        measure: 'ons4',
        pairs: 1,
        scores: ons4Scores([4, 5, 3, 7], [6, 6, 5, 4], [2, 1, 2, -3]),
      },
      {
        serviceId: S2,
        organisationId: ORG2,
        need: 'housing',
        measure: 'swemwbs',
        pairs: 9,
        scores: metric(17.07, 19.57, 2.51),
      },
      {
        serviceId: S1,
        organisationId: ORG1,
        need: 'loneliness',
        measure: 'swemwbs',
        pairs: 3,
        scores: metric(13.86, 19.87, 6.01),
      },
    ]);
  });

  it('counts a pair in the window of its follow-up', async () => {
    const all = await get<Page>(`/metrics/outcomes`, tokens.opsA);
    const lonely = all.body.items.find((g) => g.measure === 'swemwbs' && g.need === 'loneliness')!;
    // p5 (7.00 -> 35.00) joins: baseline 48.57 / 4, follow-up 94.6 / 4, change 46.03 / 4.
    expect(lonely).toMatchObject({ pairs: 4, scores: metric(12.14, 23.65, 11.51) });
    const december = await get<Page>(`/metrics/outcomes?from=2025-12-01&to=2026-01-01`, tokens.opsA);
    expect(december.body.items).toEqual([
      {
        serviceId: S1,
        organisationId: ORG1,
        need: 'loneliness',
        measure: 'swemwbs',
        pairs: 1,
        scores: metric(7, 35, 28),
      },
    ]);
  });

  it('applies the small-number rule to pairs for an ICS analyst, and hides the means of suppressed rows', async () => {
    const res = await get<Page>(`/metrics/outcomes?${window}`, tokens.analyst);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      icsCode: ICS,
      disclosure: { exact: false, threshold: 7, roundingBase: 5 },
    });
    expect(res.body.items.map((g) => [g.need, g.measure, g.pairs])).toEqual([
      ['loneliness', 'ons4', null],
      ['money', 'ons4', null],
      ['housing', 'swemwbs', 10],
      ['loneliness', 'swemwbs', null],
    ]);
    expect(res.body.items[0].scores).toEqual(hidden('ons4'));
    expect(res.body.items[1].scores).toEqual(hidden('ons4'));
    expect(res.body.items[2].scores).toEqual(metric(17.07, 19.57, 2.51));
    expect(res.body.items[3].scores).toEqual(hidden('swemwbs'));

    const csv = await get<string>(`/metrics/outcomes.csv?${window}`, tokens.analyst);
    expect(csv.type).toContain('text/csv');
    expect(csv.body.trim().split('\r\n')).toEqual([
      'serviceId,organisationId,need,measure,item,higherIsBetter,pairs,meanBaseline,meanFollowUp,meanChange',
      `${S1},${ORG1},loneliness,ons4,lifeSatisfaction,true,*,*,*,*`,
      `${S1},${ORG1},loneliness,ons4,worthwhile,true,*,*,*,*`,
      `${S1},${ORG1},loneliness,ons4,happiness,true,*,*,*,*`,
      `${S1},${ORG1},loneliness,ons4,anxiety,false,*,*,*,*`,
      `${S1},${ORG1},money,ons4,lifeSatisfaction,true,*,*,*,*`,
      `${S1},${ORG1},money,ons4,worthwhile,true,*,*,*,*`,
      `${S1},${ORG1},money,ons4,happiness,true,*,*,*,*`,
      `${S1},${ORG1},money,ons4,anxiety,false,*,*,*,*`,
      `${S2},${ORG2},housing,swemwbs,metricScore,true,10,17.07,19.57,2.51`,
      `${S1},${ORG1},loneliness,swemwbs,metricScore,true,*,*,*,*`,
    ]);
  });

  it('keeps each caller to their scope', async () => {
    expect((await get<Page>(`/metrics/outcomes?pcnCode=${PCN_A}`, tokens.opsC)).status).toBe(404);
    expect((await get<Page>(`/metrics/outcomes`, tokens.opsC)).body.items).toEqual([]);
    expect((await get<Page>(`/metrics/outcomes`, tokens.otherAnalyst)).body.items).toEqual([]);
    expect((await get<Page>(`/metrics/outcomes?pcnCode=${PCN_A}`, tokens.otherAnalyst)).status).toBe(404);
    expect((await get<Page>(`/metrics/outcomes`, tokens.lw)).status).toBe(403);
    expect((await get<Page>(`/metrics/outcomes`, undefined)).status).toBe(401);
    const bad = await get<{ errors: { field: string }[] }>(
      `/metrics/outcomes?from=2026-02-01&to=2026-01-01`,
      tokens.opsA,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e) => e.field)).toEqual(['to']);
  });

  it('absorbs a redelivered outcome', async () => {
    const [{ n }]: { n: number }[] = await ds.query(`SELECT count(*)::int AS n FROM outcome_record`);
    // 9 SWEMWBS records for P (p4 has no follow-up), 4 ONS4 for Q, 18 for housing: the redelivery adds none.
    expect(n).toBe(9 + 4 + 18);
    const [{ claims }]: { claims: number }[] = await ds.query(
      `SELECT count(*)::int AS claims FROM inbox WHERE ce_id = $1`,
      [redelivered.id],
    );
    expect(claims).toBe(1);
  });
});

describe('analytics.outcome-recorded.v1', () => {
  it('carries each outcome de-identified, re-keyed for the ICS, without the referral id', async () => {
    const [p1] = P;
    const icsKey = createHmac('sha256', ICS_KEY).update(p1.personKey, 'utf8').digest('hex');
    const mine = await waitFor(
      () => {
        const found = analytics.events.filter(
          (e) => e.type === 'analytics.outcome-recorded.v1' && e.subject === icsKey,
        );
        return found.length >= 2 ? found : undefined;
      },
      { timeoutMs: 60000, message: "p1's two outcomes on sp.analytics.events.v1" },
    );
    expect(mine.map((e) => e.data)).toEqual([
      {
        personKey: icsKey,
        icsCode: ICS,
        pcnCode: PCN_A,
        practiceCode: PRACTICE,
        ageBand: '45-54',
        postcodeDistrict: 'LS7',
        needs: ['loneliness'],
        measure: 'swemwbs',
        stage: 'baseline',
        scores: SW[14].scores,
        total: 15.32,
        at: day(0),
      },
      {
        personKey: icsKey,
        icsCode: ICS,
        pcnCode: PCN_A,
        practiceCode: PRACTICE,
        ageBand: '45-54',
        postcodeDistrict: 'LS7',
        needs: ['loneliness'],
        serviceId: S1,
        measure: 'swemwbs',
        stage: 'follow-up',
        scores: SW[21].scores,
        total: 19.25,
        at: day(3),
      },
    ]);
    // One for every outcome recorded (31), none twice, and no referral id or platform person key.
    const all = await waitFor(
      () => {
        const keys = new Set(
          [...P, Q1, Q2, ...H].map((r) =>
            createHmac('sha256', ICS_KEY).update(r.personKey, 'utf8').digest('hex'),
          ),
        );
        const found = analytics.events.filter(
          (e) => e.type === 'analytics.outcome-recorded.v1' && keys.has(e.subject),
        );
        return found.length >= 31 ? found : undefined;
      },
      { timeoutMs: 60000, message: 'all 31 outcomes on sp.analytics.events.v1' },
    );
    expect(all).toHaveLength(31);
    expect(new Set(all.map((e) => e.id)).size).toBe(31);
    const text = JSON.stringify(all);
    for (const r of [...P, Q1, Q2, ...H]) {
      expect(text).not.toContain(r.id);
      expect(text).not.toContain(r.personKey);
    }
  });
});

describe('complementary suppression in /metrics/export.csv and /metrics/summary', () => {
  const HEADER =
    'week,pcnCode,practiceCode,need,received,consented,consentDeclined,assessed,offered,waitlisted,accepted,' +
    'completed,didNotAttend,closed,closed:consent-declined,closed:consent-withdrawn,closed:person-declined,' +
    'closed:no-contact,closed:no-suitable-service,closed:other';

  it('hides a second reason when exactly one is suppressed beside a published total', async () => {
    const ops = await get<string>(`/metrics/export.csv?pcnCode=${PCN_C}`, tokens.opsC);
    expect(ops.body.trim().split('\r\n')).toEqual([
      HEADER,
      `2026-W02,${PCN_C},${PRACTICE},loneliness,12,0,0,0,0,0,0,0,0,12,0,0,3,9,0,0`,
      `2026-W03,${PCN_C},${PRACTICE},loneliness,10,0,0,0,0,0,0,0,0,10,0,0,0,5,0,5`,
    ]);
    const ics = await get<string>(`/metrics/export.csv?pcnCode=${PCN_C}`, tokens.analyst);
    expect(ics.body.trim().split('\r\n')).toEqual([
      HEADER,
      // Without the complement: ...,10,0,0,*,10,0,0 and 10 - 10 would bound the 3.
      `2026-W02,${PCN_C},${PRACTICE},loneliness,10,0,0,0,0,0,0,0,0,10,0,0,*,*,0,0`,
      `2026-W03,${PCN_C},${PRACTICE},loneliness,10,0,0,0,0,0,0,0,0,10,0,0,0,*,0,*`,
    ]);
  });

  it('applies the same rule to the summary’s closures by reason', async () => {
    const week = await get<{
      counts: Record<string, number | null>;
      closedByReason: Record<string, number | null>;
      suppressed: string[];
    }>(`/metrics/summary?pcnCode=${PCN_C}&from=2026-01-05&to=2026-01-12`, tokens.analyst);
    expect(week.body.counts.closed).toBe(10);
    expect(week.body.closedByReason).toEqual({
      'consent-declined': 0,
      'consent-withdrawn': 0,
      'person-declined': null,
      'no-contact': null,
      'no-suitable-service': 0,
      other: 0,
    });
    expect(week.body.suppressed).toEqual(
      expect.arrayContaining(['closedByReason.person-declined', 'closedByReason.no-contact']),
    );
    // Both weeks: 22 closed (20), no-contact 14 (15), person-declined 3 and other 5 both hidden already.
    const both = await get<{
      counts: Record<string, number | null>;
      closedByReason: Record<string, number | null>;
    }>(`/metrics/summary?pcnCode=${PCN_C}`, tokens.analyst);
    expect(both.body.counts.closed).toBe(20);
    expect(both.body.closedByReason).toMatchObject({
      'no-contact': 15,
      'person-declined': null,
      other: null,
    });
    const exact = await get<{ closedByReason: Record<string, number | null> }>(
      `/metrics/summary?from=2026-01-05&to=2026-01-12`,
      tokens.opsC,
    );
    expect(exact.body.closedByReason).toMatchObject({ 'no-contact': 9, 'person-declined': 3 });
  });
});

describe('an outcome that arrives before its referral’s receipt', () => {
  it('waits for the receipt (who and where), then is published once', async () => {
    const late = referral(PCN_A, ['loneliness']);
    const key = createHmac('sha256', ICS_KEY).update(late.personKey, 'utf8').digest('hex');
    const mine = () =>
      analytics.events.filter((e) => e.type === 'analytics.outcome-recorded.v1' && e.subject === key);
    await send(outcome(late, 'baseline', sw(14), '2025-06-02T09:00:00Z'));
    await allConsumed();
    const [held]: { published_at: Date | null }[] = await ds.query(
      `SELECT published_at FROM outcome_record WHERE referral_id = $1`,
      [late.id],
    );
    expect(held).toEqual({ published_at: null });

    await send(received(late, '2025-06-01T09:00:00Z'));
    const published = await waitFor(() => (mine().length ? mine() : undefined), {
      message: "the late referral's outcome on sp.analytics.events.v1",
    });
    expect(published.map((e) => e.data)).toMatchObject([
      { personKey: key, pcnCode: PCN_A, ageBand: '45-54', postcodeDistrict: 'LS7', stage: 'baseline' },
    ]);
    await allConsumed();
    expect(mine()).toHaveLength(1);
  });
});
