import type { AuthClaims } from '@sp/auth';
import { NhsNumber } from '@sp/domain';
import { callJson, waitFor } from '@sp/testing';
import { randomUUID } from 'node:crypto';
import { IntakeHarness, tokenFor } from './intake-fixtures';

/**
 * Wellbeing outcomes on the real stack: referral-intake in-process on its own port, database and
 * consumer group; consent and offers arrive as real events; outcome.recorded.v1 read back from
 * sp.referral.events.v1.
 */
const PORT = 3131;
const PCN_A = 'U31001';
const PCN_B = 'U32002';
const PRACTICE_A = 'P31001';
const PRACTICE_B = 'B32001';
const SERVICE = randomUUID();
const ORG = randomUUID();
const OTHER_SERVICE = randomUUID();
const OTHER_ORG = randomUUID();

const h = new IntakeHarness({ port: PORT });
const claims: Record<string, AuthClaims> = {
  admin: { sub: 'admin-oc', role: 'admin' },
  linkA: { sub: 'lw-oc-a', role: 'link_worker', pcn: PCN_A },
  opsA: { sub: 'ops-oc-a', role: 'pcn_ops', pcn: PCN_A },
  linkB: { sub: 'lw-oc-b', role: 'link_worker', pcn: PCN_B },
  referrerA: { sub: 'gp-oc-a', role: 'referrer', practice: PRACTICE_A, pcn: PCN_A },
  vcso: { sub: 'vc-oc', role: 'vcso_coordinator', org: ORG },
  analyst: { sub: 'an-oc', role: 'ics_analyst', ics: 'QWO' },
};
const tokens: Record<string, string> = {};

interface Problem {
  status: number;
  detail?: string;
  errors?: { field: string; message: string }[];
}
interface Outcome {
  id: string;
  referralId: string;
  measure: string;
  stage: string;
  scores: number[];
  total: number | null;
  recordedAt: string;
}

const api = <T = Record<string, unknown>>(
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
) => callJson<T>(h.base, method, path, token, body);

// The people of this suite: nothing of theirs may reach the referral topic or a log line.
const people: {
  nhsNumber: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  postcode: string;
}[] = [];

async function referral(opts: { consent?: 'granted' | 'declined'; pcn?: string } = {}): Promise<string> {
  const i = people.length;
  const p = {
    nhsNumber: NhsNumber.generateTestNumber().value,
    givenName: `Outcomia${'abcdefghijklmnop'[i]}`,
    familyName: `Wellbeingham${'abcdefghijklmnop'[i]}`,
    birthDate: `1961-0${(i % 9) + 1}-2${i % 10}`,
    postcode: `LS${i + 10} 3QT`,
  };
  people.push(p);
  const pcn = opts.pcn ?? PCN_A;
  const created = await api<{ id: string }>(
    'POST',
    '/referrals',
    pcn === PCN_A ? tokens.linkA : tokens.linkB,
    {
      pcnCode: pcn,
      practiceCode: pcn === PCN_A ? PRACTICE_A : PRACTICE_B,
      referrer: { name: 'Dr Quentin Outcomefield', role: 'GP' },
      patient: p,
      needs: ['loneliness', 'nature'],
    },
  );
  expect(created.status).toBe(201);
  const id = created.body.id;
  if (opts.consent) {
    const base = { consentId: randomUUID(), referralId: id, pcnCode: pcn, method: 'verbal' as const };
    const at = new Date().toISOString();
    if (opts.consent === 'granted') {
      await h.publish('consent.granted.v1', { ...base, shareWithVcso: true, recordedAt: at });
    } else {
      await h.publish('consent.declined.v1', { ...base, recordedAt: at });
    }
    await waitFor(
      async () => {
        const [r]: { consent_state: string }[] = await h.ds.query(
          `SELECT consent_state FROM referral WHERE id = $1`,
          [id],
        );
        return r?.consent_state === opts.consent;
      },
      { timeoutMs: 60000, message: `consent ${opts.consent} to reach referral ${id}` },
    );
  }
  return id;
}

const swemwbs = (stage: string, scores: number[]) => ({ measure: 'swemwbs', stage, scores });
const ons4 = (stage: string, scores: number[]) => ({ measure: 'ons4', stage, scores });
const outcomeRows = async (referralId?: string) =>
  referralId ? h.count(`referral_outcome WHERE referral_id = '${referralId}'`) : h.count('referral_outcome');
const outcomeEventsInOutbox = () => h.count(`outbox WHERE type = 'outcome.recorded.v1'`);

beforeAll(async () => {
  await h.start();
  for (const [name, c] of Object.entries(claims)) tokens[name] = await tokenFor(c);
  for (const [code, practice] of [
    [PCN_A, PRACTICE_A],
    [PCN_B, PRACTICE_B],
  ]) {
    const res = await api('POST', '/pcns', tokens.admin, {
      code,
      name: `PCN ${code}`,
      icsCode: 'QWO',
      practices: [{ code: practice, name: 'Surgery', postcode: 'LS2 9JT' }],
    });
    expect(res.status).toBe(201);
  }
}, 180_000);

afterAll(async () => {
  await h.stop();
});

describe('POST /referrals/:id/outcomes: bad input', () => {
  it('names each bad field in a 400 problem+json and writes nothing', async () => {
    const id = await referral({ consent: 'granted' });
    const cases: [unknown, string[]][] = [
      [{ measure: 'phq9', stage: 'baseline', scores: [1, 2, 3, 4] }, ['measure']],
      [{ measure: 'ons4', stage: 'after', scores: [1, 2, 3, 4] }, ['stage']],
      [ons4('baseline', [1, 2, 3]), ['scores']],
      [swemwbs('baseline', [1, 2, 3, 4]), ['scores']],
      [ons4('baseline', [1, 2, 11, 4]), ['scores[2]']],
      [swemwbs('baseline', [0, 3, 3, 3, 3, 3, 6]), ['scores[0]', 'scores[6]']],
      [ons4('baseline', [1, 2.5, 3, 4]), ['scores[1]']],
      [{ measure: 'ons4', stage: 'baseline', scores: [1, '2', 3, 4] }, ['scores[1]']],
      [{ ...ons4('baseline', [1, 2, 3, 4]), comment: 'felt better' }, ['comment']],
      [{ measure: 'ons4', stage: 'later', scores: [1, 2, 3, 4, 99] }, ['scores', 'scores[4]', 'stage']],
      [{}, ['measure', 'scores', 'stage']],
      [[1, 2, 3, 4], ['body']],
    ];
    for (const [body, fields] of cases) {
      const res = await api<Problem>('POST', `/referrals/${id}/outcomes`, tokens.linkA, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.type).toContain('application/problem+json');
      expect(res.body.errors!.map((e) => e.field).sort()).toEqual(fields);
    }
    expect(await outcomeRows()).toBe(0);
    expect(await outcomeEventsInOutbox()).toBe(0);
    expect(await h.count(`referral_timeline WHERE kind = 'outcome-recorded'`)).toBe(0);
  });
});

let r1: string;

describe('recording outcomes', () => {
  const recorded: Outcome[] = [];

  it('records a SWEMWBS baseline and follow-up as metric scores, and ONS4 item by item', async () => {
    r1 = await referral({ consent: 'granted' });
    // Raw 2 x 7 = 14 -> 15.32 on the published conversion table.
    const baseline = await api<Outcome>(
      'POST',
      `/referrals/${r1}/outcomes`,
      tokens.linkA,
      swemwbs('baseline', [2, 2, 2, 2, 2, 2, 2]),
    );
    expect(baseline.status).toBe(201);
    expect(Object.keys(baseline.body).sort()).toEqual([
      'id',
      'measure',
      'recordedAt',
      'referralId',
      'scores',
      'stage',
      'total',
    ]);
    expect(baseline.body).toMatchObject({
      referralId: r1,
      measure: 'swemwbs',
      stage: 'baseline',
      scores: [2, 2, 2, 2, 2, 2, 2],
      total: 15.32,
    });
    recorded.push(baseline.body);

    // Placed: one offer declined, then another accepted; the follow-up names the accepted one's service.
    const declined = {
      offerId: randomUUID(),
      referralId: r1,
      serviceId: OTHER_SERVICE,
      organisationId: OTHER_ORG,
      pcnCode: PCN_A,
    };
    const accepted = {
      offerId: randomUUID(),
      referralId: r1,
      serviceId: SERVICE,
      organisationId: ORG,
      pcnCode: PCN_A,
    };
    const now = () => new Date().toISOString();
    await h.publish('offer.made.v1', { ...declined, auto: false, expiresAt: now(), madeAt: now() });
    await h.publish('offer.declined.v1', { ...declined, reason: 'no-capacity', at: now() });
    await h.publish('offer.made.v1', { ...accepted, auto: false, expiresAt: now(), madeAt: now() });
    await h.publish('offer.accepted.v1', { ...accepted, at: now() });
    await waitFor(
      async () =>
        (await h.count(
          `referral_offer WHERE referral_id = '${r1}' AND status IN ('accepted', 'declined')`,
        )) === 2,
      { timeoutMs: 60000, message: 'both offers projected' },
    );
    // A later change to the declined offer must not make it the one the outcome is attributed to.
    await h.ds.query(
      `UPDATE referral_offer SET updated_at = now() + interval '1 minute' WHERE offer_id = $1`,
      [declined.offerId],
    );

    // Raw 3+3+3+3+3+4+4 = 23 -> 20.73.
    const followUp = await api<Outcome>(
      'POST',
      `/referrals/${r1}/outcomes`,
      tokens.linkA,
      swemwbs('follow-up', [3, 3, 3, 3, 3, 4, 4]),
    );
    expect(followUp.status).toBe(201);
    expect(followUp.body).toMatchObject({ stage: 'follow-up', total: 20.73 });
    recorded.push(followUp.body);

    const o = await api<Outcome>(
      'POST',
      `/referrals/${r1}/outcomes`,
      tokens.opsA,
      ons4('baseline', [4, 5, 3, 7]),
    );
    expect(o.status).toBe(201);
    expect(o.body).toMatchObject({ measure: 'ons4', stage: 'baseline', scores: [4, 5, 3, 7], total: null });
    recorded.push(o.body);

    const list = await api<{ items: Outcome[]; total: number; page: number; pageSize: number }>(
      'GET',
      `/referrals/${r1}/outcomes`,
      tokens.opsA,
    );
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ items: recorded, page: 1, pageSize: 3, total: 3 });

    const stored: { service_id: string | null }[] = await h.ds.query(
      `SELECT service_id FROM referral_outcome WHERE referral_id = $1 ORDER BY recorded_at`,
      [r1],
    );
    expect(stored.map((s) => s.service_id)).toEqual([null, SERVICE, SERVICE]);

    // On the timeline: that it was recorded, never what was answered.
    const ref = await api<{ timeline: { kind: string; detail: Record<string, unknown> }[] }>(
      'GET',
      `/referrals/${r1}`,
      tokens.referrerA,
    );
    const entries = ref.body.timeline.filter((t) => t.kind === 'outcome-recorded');
    expect(entries.map((t) => t.detail)).toEqual(
      recorded.map((r) => ({ outcomeId: r.id, measure: r.measure, stage: r.stage })),
    );
  });

  it('refuses a second baseline or follow-up, and a follow-up before its baseline, with 409', async () => {
    const again = await api<Problem>(
      'POST',
      `/referrals/${r1}/outcomes`,
      tokens.linkA,
      swemwbs('baseline', [5, 5, 5, 5, 5, 5, 5]),
    );
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain('already recorded');
    expect(
      (
        await api(
          'POST',
          `/referrals/${r1}/outcomes`,
          tokens.linkA,
          swemwbs('follow-up', [5, 5, 5, 5, 5, 5, 5]),
        )
      ).status,
    ).toBe(409);
    expect(await outcomeRows(r1)).toBe(3);
    // A referral with no baseline of any measure yet.
    const fresh = await referral({ consent: 'granted' });
    const early = await api<Problem>(
      'POST',
      `/referrals/${fresh}/outcomes`,
      tokens.linkA,
      ons4('follow-up', [6, 6, 6, 2]),
    );
    expect(early.status).toBe(409);
    expect(early.body.detail).toBe('record the ons4 baseline before its follow-up');
    expect(await outcomeRows(fresh)).toBe(0);
  });

  it('lets exactly one of two racing baselines in', async () => {
    const id = await referral({ consent: 'granted' });
    const answers = await Promise.all(
      [0, 1, 2].map(() =>
        api('POST', `/referrals/${id}/outcomes`, tokens.linkA, ons4('baseline', [7, 7, 7, 2])),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409]);
    expect(await outcomeRows(id)).toBe(1);
  });

  it('refuses outcomes without consent granted (409), writing nothing', async () => {
    const none = await referral();
    const res = await api<Problem>(
      'POST',
      `/referrals/${none}/outcomes`,
      tokens.linkA,
      ons4('baseline', [5, 5, 5, 5]),
    );
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/consent .* not yet recorded/);
    const declined = await referral({ consent: 'declined' });
    const refused = await api<Problem>(
      'POST',
      `/referrals/${declined}/outcomes`,
      tokens.linkA,
      ons4('baseline', [5, 5, 5, 5]),
    );
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('declined');
    expect((await outcomeRows(none)) + (await outcomeRows(declined))).toBe(0);
  });
});

describe('who may record and read outcomes', () => {
  it('hides another PCN’s referral (404), refuses other roles (403) and strangers (401)', async () => {
    const id = await referral({ consent: 'granted' });
    const body = ons4('baseline', [5, 5, 5, 5]);
    expect((await api('POST', `/referrals/${id}/outcomes`, tokens.linkB, body)).status).toBe(404);
    expect((await api('GET', `/referrals/${id}/outcomes`, tokens.linkB)).status).toBe(404);
    for (const who of ['referrerA', 'vcso', 'analyst', 'admin']) {
      expect({
        who,
        status: (await api('POST', `/referrals/${id}/outcomes`, tokens[who], body)).status,
      }).toEqual({ who, status: 403 });
      expect({ who, status: (await api('GET', `/referrals/${id}/outcomes`, tokens[who])).status }).toEqual({
        who,
        status: 403,
      });
    }
    expect((await api('POST', `/referrals/${id}/outcomes`, undefined, body)).status).toBe(401);
    expect((await api('POST', `/referrals/${randomUUID()}/outcomes`, tokens.linkA, body)).status).toBe(404);
    expect((await api('GET', `/referrals/not-a-uuid/outcomes`, tokens.linkA)).status).toBe(404);
    expect(await outcomeRows(id)).toBe(0);
    // Intake waits up to 3 s for consent to arrive, but only on referrals the caller may see: another
    // PCN's referral still awaiting consent answers 404 as promptly as one that does not exist.
    const pending = await referral();
    const started = Date.now();
    expect((await api('POST', `/referrals/${pending}/outcomes`, tokens.linkB, body)).status).toBe(404);
    expect(Date.now() - started).toBeLessThan(2000);
    const b = await referral({ consent: 'granted', pcn: PCN_B });
    expect((await api('POST', `/referrals/${b}/outcomes`, tokens.linkB, body)).status).toBe(201);
    expect((await api('GET', `/referrals/${b}/outcomes`, tokens.opsA)).status).toBe(404);
  });
});

describe('outcome.recorded.v1', () => {
  it('is published once per outcome, keyed by the referral, with ids, codes and scores only', async () => {
    await waitFor(async () => (await h.count('outbox WHERE published_at IS NULL')) === 0, {
      message: 'outbox drained',
    });
    const rows: { id: string; referral_id: string }[] = await h.ds.query(
      `SELECT id, referral_id FROM referral_outcome`,
    );
    const header = (m: { headers: string }) => JSON.parse(m.headers) as Record<string, string>;
    const events = await waitFor(
      () => {
        const mine = h.collected.filter((m) => header(m).ce_type === 'outcome.recorded.v1');
        return mine.length >= rows.length ? mine : undefined;
      },
      { timeoutMs: 60000, message: `${rows.length} outcome.recorded.v1 events on sp.referral.events.v1` },
    );
    const data = events.map((m) => JSON.parse(m.value) as Record<string, unknown>);
    // Once each: one event per stored outcome, none twice.
    expect(data.map((d) => d.outcomeId).sort()).toEqual(rows.map((r) => r.id).sort());
    for (const [i, m] of events.entries()) {
      expect(m.key).toBe(data[i].referralId);
      expect(header(m).ce_subject).toBe(data[i].referralId);
    }
    const r1FollowUp = data.filter((d) => d.referralId === r1 && d.stage === 'follow-up');
    expect(r1FollowUp).toHaveLength(1);
    expect(r1FollowUp[0]).toEqual({
      outcomeId: expect.any(String),
      referralId: r1,
      pcnCode: PCN_A,
      practiceCode: PRACTICE_A,
      serviceId: SERVICE,
      organisationId: ORG,
      needs: ['loneliness', 'nature'],
      measure: 'swemwbs',
      stage: 'follow-up',
      scores: [3, 3, 3, 3, 3, 4, 4],
      total: 20.73,
      recordedAt: expect.any(String),
    });
    const allowed = [
      'outcomeId',
      'referralId',
      'pcnCode',
      'practiceCode',
      'serviceId',
      'organisationId',
      'needs',
      'measure',
      'stage',
      'scores',
      'total',
      'recordedAt',
    ];
    for (const d of data) expect(Object.keys(d).filter((k) => !allowed.includes(k))).toEqual([]);
    expect(data.filter((d) => d.measure === 'ons4').every((d) => !('total' in d))).toBe(true);

    // Nothing of the people of this suite on the topic or in the logs.
    const needles = people.flatMap((p) => [
      p.nhsNumber,
      NhsNumber.parse(p.nhsNumber).formatted(),
      p.givenName,
      p.familyName,
      p.birthDate,
      p.postcode,
    ]);
    needles.push('Outcomefield', 'felt better');
    const haystacks = [...h.collected.map((m) => `${m.key}\n${m.headers}\n${m.value}`), ...h.logs];
    expect(needles.filter((n) => haystacks.some((s) => s.includes(n)))).toEqual([]);
  });
});
