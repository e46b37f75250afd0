import type { AuthClaims } from '@sp/auth';
import { NhsNumber } from '@sp/domain';
import { waitFor } from '@sp/testing';
import { randomUUID } from 'node:crypto';
import { call, IntakeHarness, tokenFor } from './intake-fixtures';

interface Problem {
  status: number;
  errors?: { field: string; message: string }[];
}
interface Referral {
  id: string;
  status: string;
  closeReason: string | null;
  responsibleParty: string;
  possibleDuplicate: boolean;
  linkedReferralId: string | null;
  pcnCode: string;
  practiceCode: string;
  timeline: { kind: string; detail: Record<string, unknown> }[];
  patient?: { nhsNumber: string; givenName: string; postcode: string };
}

const PCN_A = 'U10001';
const PCN_B = 'U20002';
const PRACTICE_A1 = 'P10001';
const PRACTICE_A2 = 'P10002';
const PRACTICE_B1 = 'B20001';

const h = new IntakeHarness();
const tokens: Record<string, string> = {};
const claims: Record<string, AuthClaims> = {
  admin: { sub: 'admin-1', role: 'admin' },
  referrerA1: { sub: 'gp-a1', role: 'referrer', practice: PRACTICE_A1, pcn: PCN_A },
  referrerA2: { sub: 'gp-a2', role: 'referrer', practice: PRACTICE_A2, pcn: PCN_A },
  linkA: { sub: 'lw-a', role: 'link_worker', pcn: PCN_A },
  linkB: { sub: 'lw-b', role: 'link_worker', pcn: PCN_B },
  opsA: { sub: 'ops-a', role: 'pcn_ops', pcn: PCN_A },
  opsGhost: { sub: 'ops-ghost', role: 'pcn_ops', pcn: 'U99999' },
  vcso1: { sub: 'vc-1', role: 'vcso_coordinator', org: randomUUID() },
  vcso2: { sub: 'vc-2', role: 'vcso_coordinator', org: randomUUID() },
};

// The people of this suite: nothing of theirs may ever reach a topic or a log line.
interface Person {
  nhsNumber: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  postcode: string;
  phone: string;
  email: string;
}
const people: Person[] = [];
const notes: string[] = [];
function person(i: number): Person {
  const p: Person = {
    nhsNumber: NhsNumber.generateTestNumber().value,
    givenName: `Zephyrine${'abcdefghij'[i]}`,
    familyName: `Quillfeather${'abcdefghij'[i]}`,
    birthDate: `19${40 + i}-0${(i % 9) + 1}-1${i}`,
    postcode: `LS${i + 1} 4AP`,
    phone: `07700 90${1000 + i}`,
    email: `zq${i}.person@example.org`,
  };
  people.push(p);
  return p;
}
function referralBody(p: Person, over: Record<string, unknown> = {}) {
  const note = `Allotment closed, misses the bees (${p.givenName})`;
  notes.push(note);
  return {
    pcnCode: PCN_A,
    practiceCode: PRACTICE_A1,
    referrer: { name: 'Dr Hollowbrook Testwell', role: 'GP' },
    patient: { ...p, preferredLanguage: 'en', accessibilityNeeds: ['wheelchair'] },
    needs: ['loneliness', 'nature'],
    notes: note,
    ...over,
  };
}

async function getReferral(id: string, as = tokens.linkA) {
  return call<Referral>('GET', `/referrals/${id}`, as);
}
async function waitForStatus(id: string, status: string): Promise<Referral> {
  return waitFor(
    async () => {
      const r = await getReferral(id);
      return r.body.status === status ? r.body : undefined;
    },
    { timeoutMs: 60000, intervalMs: 200, message: `referral ${id} to reach ${status}` },
  );
}

beforeAll(async () => {
  await h.start();
  for (const [name, c] of Object.entries(claims)) tokens[name] = await tokenFor(c);
  const practices = (codes: string[]) =>
    codes.map((code, i) => ({ code, name: `Practice ${i}`, postcode: 'LS2 9JT' }));
  expect(
    (
      await call('POST', '/pcns', tokens.admin, {
        code: PCN_A,
        name: 'North PCN',
        icsCode: 'QWO',
        practices: practices([PRACTICE_A1, PRACTICE_A2]),
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await call('POST', '/pcns', tokens.admin, {
        code: PCN_B,
        name: 'South PCN',
        icsCode: 'QWO',
        practices: practices([PRACTICE_B1]),
        settings: { offerExpiryDays: 7, autoOffer: true },
      })
    ).status,
  ).toBe(201);
}, 180_000);

afterAll(async () => {
  await h.stop();
});

describe('the network', () => {
  it('reads PCNs with practices and default settings, for any signed-in role', async () => {
    const one = await call<{
      id: string;
      code: string;
      practices: { code: string }[];
      settings: object;
      icsCode: string;
    }>('GET', `/pcns/${PCN_A}`, tokens.vcso1);
    expect(one.status).toBe(200);
    expect(one.body.id).toBe(PCN_A);
    expect(one.body.icsCode).toBe('QWO');
    expect(one.body.practices.map((p) => p.code)).toEqual([PRACTICE_A1, PRACTICE_A2]);
    expect(one.body.settings).toEqual({ offerExpiryDays: 14, autoOffer: false });
    const all = await call<{ items: { code: string; settings: object }[]; total: number }>(
      'GET',
      '/pcns',
      tokens.referrerA1,
    );
    expect(all.body.items.map((p) => p.code)).toEqual([PCN_A, PCN_B]);
    expect(all.body.items[1].settings).toEqual({ offerExpiryDays: 7, autoOffer: true });
    // Paged like every list.
    const second = await call('GET', '/pcns?page=2&pageSize=1', tokens.referrerA1);
    expect(second.body).toMatchObject({
      page: 2,
      pageSize: 1,
      total: 2,
      items: [{ id: PCN_B, code: PCN_B }],
    });
    const past = await call('GET', '/pcns?page=3&pageSize=1', tokens.referrerA1);
    expect(past.body).toMatchObject({ page: 3, pageSize: 1, total: 2, items: [] });
    const badPage = await call<Problem>('GET', '/pcns?pageSize=0', tokens.referrerA1);
    expect(badPage.status).toBe(400);
    expect(JSON.stringify(badPage.body)).toContain('pageSize must be at least 1');
    expect((await call('GET', '/pcns/U99999', tokens.admin)).status).toBe(404);
    expect((await call('GET', '/pcns', undefined)).status).toBe(401);
  });

  it('lets only admins register PCNs, validates them and refuses duplicates', async () => {
    const body = {
      code: 'U30003',
      name: 'East',
      icsCode: 'QWO',
      practices: [{ code: 'E30001', name: 'E', postcode: 'LS3 1AA' }],
    };
    expect((await call('POST', '/pcns', tokens.opsA, body)).status).toBe(403);
    const bad = await call<Problem>('POST', '/pcns', tokens.admin, {
      ...body,
      code: 'P30003',
      icsCode: 'X1',
      practices: [{ code: 'U30001', name: '', postcode: 'nowhere' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
    expect(bad.body.errors!.map((e) => e.field).sort()).toEqual(
      ['code', 'icsCode', 'practices.0.code', 'practices.0.name', 'practices.0.postcode'].sort(),
    );
    const taken = await call<Problem>('POST', '/pcns', tokens.admin, {
      ...body,
      practices: [{ code: PRACTICE_A1, name: 'x', postcode: 'LS1 1AA' }],
    });
    expect(taken.status).toBe(400);
    expect(taken.body.errors!.map((e) => e.field)).toEqual(['practices.0.code']);
    expect((await call('GET', '/pcns/U30003', tokens.admin)).status).toBe(404); // nothing half-written
    expect((await call('POST', '/pcns', tokens.admin, { ...body, code: PCN_A })).status).toBe(409);
  });
});

describe('intake validation', () => {
  const base = () => referralBody(person(0));
  type Mutation = [string, (b: ReturnType<typeof base>) => unknown, string, { as?: string; key?: string }?];
  const patient = (b: ReturnType<typeof base>, over: Record<string, unknown>) => ({
    ...b,
    patient: { ...b.patient, ...over },
  });
  const cases: Mutation[] = [
    [
      'bad NHS check digit',
      (b) =>
        patient(b, {
          nhsNumber: b.patient.nhsNumber.slice(0, 9) + String((Number(b.patient.nhsNumber[9]) + 1) % 10),
        }),
      'patient.nhsNumber',
    ],
    ['short NHS number', (b) => patient(b, { nhsNumber: '12345' }), 'patient.nhsNumber'],
    ['NHS number not a string', (b) => patient(b, { nhsNumber: 9990000018 }), 'patient.nhsNumber'],
    ['birth date in the future', (b) => patient(b, { birthDate: '2999-01-01' }), 'patient.birthDate'],
    ['birth date 130 years ago', (b) => patient(b, { birthDate: '1890-01-01' }), 'patient.birthDate'],
    ['impossible birth date', (b) => patient(b, { birthDate: '1970-02-30' }), 'patient.birthDate'],
    ['postcode shape', (b) => patient(b, { postcode: '12345' }), 'patient.postcode'],
    ['email shape', (b) => patient(b, { email: 'person-at-example' }), 'patient.email'],
    ['phone shape', (b) => patient(b, { phone: 'ring twice' }), 'patient.phone'],
    ['language not ISO 639-1', (b) => patient(b, { preferredLanguage: 'eng' }), 'patient.preferredLanguage'],
    [
      'accessibility prose',
      (b) => patient(b, { accessibilityNeeds: ['Needs help with stairs'] }),
      'patient.accessibilityNeeds',
    ],
    ['given name too long', (b) => patient(b, { givenName: 'A'.repeat(101) }), 'patient.givenName'],
    ['family name missing', (b) => patient(b, { familyName: undefined }), 'patient.familyName'],
    ['unknown need code', (b) => ({ ...b, needs: ['loneliness', 'astrology'] }), 'needs'],
    ['no needs', (b) => ({ ...b, needs: [] }), 'needs'],
    ['notes too long', (b) => ({ ...b, notes: 'n'.repeat(2001) }), 'notes'],
    [
      'referrer name too long',
      (b) => ({ ...b, referrer: { name: 'R'.repeat(101), role: 'GP' } }),
      'referrer.name',
    ],
    ['pcn code shape', (b) => ({ ...b, pcnCode: '10001' }), 'pcnCode'],
    ['practice code shape', (b) => ({ ...b, practiceCode: 'PX0001' }), 'practiceCode'],
    ['unknown field', (b) => ({ ...b, ethnicity: 'x' }), 'ethnicity'],
    ['patient missing', (b) => ({ ...b, patient: undefined }), 'patient'],
    ['PCN not registered', (b) => ({ ...b, pcnCode: 'U99999' }), 'pcnCode', { as: 'opsGhost' }],
    ['practice of another PCN', (b) => ({ ...b, practiceCode: PRACTICE_B1 }), 'practiceCode'],
    ['practice not registered', (b) => ({ ...b, practiceCode: 'P77777' }), 'practiceCode'],
    ['bad Idempotency-Key', (b) => b, 'Idempotency-Key', { key: 'has spaces in it' }],
  ];

  it.each(cases)(
    'refuses %s with 400 problem+json naming the field, writing nothing',
    async (...row: Mutation) => {
      // A rest parameter: jest would take a declared 4th parameter for a `done` callback.
      const [, mutate, field, opts] = row;
      const tables = [
        'referral',
        'referral_identity',
        'referral_timeline',
        'idempotency_key',
        'audit_log',
        'outbox',
      ];
      const before = await Promise.all(tables.map((t) => h.count(t)));
      // pcn_ops may refer from any practice of their PCN, so the 400 is about the data, not the caller.
      const res = await call<Problem>(
        'POST',
        '/referrals',
        tokens[opts?.as ?? 'opsA'],
        mutate(base()),
        opts?.key ? { 'idempotency-key': opts.key } : {},
      );
      expect(res.status).toBe(400);
      expect(res.type).toContain('application/problem+json');
      expect(res.body.errors!.map((e) => e.field)).toContain(field);
      expect(JSON.stringify(res.body)).not.toContain(people[people.length - 1].nhsNumber);
      expect(await Promise.all(tables.map((t) => h.count(t)))).toEqual(before);
    },
  );
});

describe('intake', () => {
  it('creates a referral awaiting consent, stores identifiable data only encrypted, and audits it', async () => {
    const p = person(1);
    const res = await call<Referral>('POST', '/referrals', tokens.referrerA1, referralBody(p));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'awaiting-consent',
      responsibleParty: 'referrer',
      pcnCode: PCN_A,
      practiceCode: PRACTICE_A1,
      possibleDuplicate: false,
      linkedReferralId: null,
    });
    expect(res.body.patient).toBeUndefined();
    expect(res.body.timeline.map((t) => t.kind)).toEqual(['received']);
    const id = res.body.id;

    const [identity]: Record<string, string | null>[] = await h.ds.query(
      `SELECT * FROM referral_identity WHERE referral_id = $1`,
      [id],
    );
    const stored = JSON.stringify(identity);
    for (const value of [p.nhsNumber, p.givenName, p.familyName, p.birthDate, p.postcode, p.phone, p.email]) {
      expect(stored).not.toContain(value);
    }
    expect(identity.nhs_number).toMatch(/^v1\./);
    const [row]: { person_key: string; age_band: string; postcode_district: string }[] = await h.ds.query(
      `SELECT person_key, age_band, postcode_district FROM referral WHERE id = $1`,
      [id],
    );
    expect(row.person_key).toMatch(/^[0-9a-f]{64}$/);
    expect(row.postcode_district).toBe('LS2');

    const seen = await getReferral(id, tokens.referrerA1);
    expect(seen.status).toBe(200);
    // The 201 is built from what was written, without reading it back: it must say what a read says.
    expect({ ...seen.body, patient: undefined }).toEqual({ ...res.body, patient: undefined });
    expect(seen.body.patient).toMatchObject({
      nhsNumber: p.nhsNumber,
      givenName: p.givenName,
      postcode: p.postcode,
    });
    const admin = await getReferral(id, tokens.admin);
    expect(admin.status).toBe(200);
    expect(admin.body.patient).toBeUndefined();

    const audit: { actor_sub: string; action: string; reason: string; fields: string[] }[] = await h.ds.query(
      `SELECT actor_sub, action, reason, fields FROM audit_log WHERE referral_id = $1 ORDER BY id`,
      [id],
    );
    expect(audit.map((a) => [a.actor_sub, a.action, a.reason])).toEqual([
      ['gp-a1', 'write', 'referral-created'],
      ['gp-a1', 'read', 'referral-viewed'],
    ]);
    expect(audit[0].fields).toEqual(expect.arrayContaining(['nhs_number', 'given_name', 'notes']));
  });

  it('keeps the audit log append-only', async () => {
    await expect(h.ds.query(`UPDATE audit_log SET reason = 'rewritten'`)).rejects.toThrow(/append-only/);
    await expect(h.ds.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
    await expect(h.ds.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    expect(await h.count('audit_log')).toBeGreaterThan(0);
  });

  it('lets a referrer refer only from their own practice and PCN, others only in their PCN', async () => {
    const p = person(2);
    expect(
      (await call('POST', '/referrals', tokens.referrerA1, referralBody(p, { practiceCode: PRACTICE_A2 })))
        .status,
    ).toBe(403);
    expect((await call('POST', '/referrals', tokens.linkB, referralBody(p))).status).toBe(403);
    expect((await call('POST', '/referrals', tokens.vcso1, referralBody(p))).status).toBe(403);
    expect((await call('POST', '/referrals', tokens.admin, referralBody(p))).status).toBe(403);
    expect((await call('POST', '/referrals', undefined, referralBody(p))).status).toBe(401);
  });

  it('answers a retried Idempotency-Key with the same referral, and refuses the key for another body', async () => {
    const p = person(3);
    const body = referralBody(p);
    const key = `retry-${randomUUID()}`;
    const first = await call<Referral>('POST', '/referrals', tokens.referrerA1, body, {
      'idempotency-key': key,
    });
    expect(first.status).toBe(201);
    const before = await h.count('referral');
    const again = await call<Referral>('POST', '/referrals', tokens.referrerA1, body, {
      'idempotency-key': key,
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const other = await call<Problem>(
      'POST',
      '/referrals',
      tokens.referrerA1,
      { ...body, needs: ['money'] },
      { 'idempotency-key': key },
    );
    expect(other.status).toBe(409);
    expect(other.type).toContain('application/problem+json');
    expect(await h.count('referral')).toBe(before);
    // Keys belong to their caller: another referrer's identical key is a new request.
    const elsewhere = await call<Referral>('POST', '/referrals', tokens.opsA, body, {
      'idempotency-key': key,
    });
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.body.id).not.toBe(first.body.id);
  });

  it('answers racing retries with one referral', async () => {
    const body = referralBody(person(4));
    const key = `race-${randomUUID()}`;
    const answers = await Promise.all(
      [0, 1, 2, 3].map(() =>
        call<Referral>('POST', '/referrals', tokens.referrerA1, body, { 'idempotency-key': key }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
  });

  it('links and flags a second open referral for the same person in the same PCN', async () => {
    const p = person(5);
    const first = await call<Referral>('POST', '/referrals', tokens.referrerA1, referralBody(p));
    const second = await call<Referral>(
      'POST',
      '/referrals',
      tokens.referrerA2,
      referralBody(p, { practiceCode: PRACTICE_A2 }),
    );
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ possibleDuplicate: true, linkedReferralId: first.body.id });
    // Another PCN's referral of the same person is not a duplicate within that PCN.
    const elsewhere = await call<Referral>(
      'POST',
      '/referrals',
      tokens.linkB,
      referralBody(p, { pcnCode: PCN_B, practiceCode: PRACTICE_B1 }),
    );
    expect(elsewhere.body).toMatchObject({ possibleDuplicate: false, linkedReferralId: null });
  });

  it('hides referrals outside the caller scope as 404, and lists only what is in scope', async () => {
    const mine = await call<Referral>('POST', '/referrals', tokens.referrerA1, referralBody(person(6)));
    const id = mine.body.id;
    for (const t of [tokens.referrerA2, tokens.linkB, tokens.vcso1]) {
      const res = await call<Problem>('GET', `/referrals/${id}`, t);
      expect(res.status).toBe(404);
    }
    expect((await call('GET', `/referrals/${randomUUID()}`, tokens.linkA)).status).toBe(404);
    expect((await call('GET', `/referrals/not-a-uuid`, tokens.linkA)).status).toBe(404);
    expect((await getReferral(id, tokens.opsA)).status).toBe(200);
    expect((await call('POST', `/referrals/${id}/close`, tokens.linkB, { reason: 'other' })).status).toBe(
      404,
    );
    expect(
      (await call('POST', `/referrals/${id}/assessment`, tokens.linkB, { needs: ['money'] })).status,
    ).toBe(404);

    const listA2 = await call<{ items: Referral[]; total: number }>(
      'GET',
      '/referrals?pageSize=100',
      tokens.referrerA2,
    );
    expect(listA2.body.items.every((r) => r.practiceCode === PRACTICE_A2)).toBe(true);
    expect(listA2.body.items.map((r) => r.id)).not.toContain(id);
    const listB = await call<{ items: Referral[] }>('GET', '/referrals?pageSize=100', tokens.linkB);
    expect(listB.body.items.every((r) => r.pcnCode === PCN_B)).toBe(true);
    const listA = await call<{ items: Referral[]; page: number; pageSize: number; total: number }>(
      'GET',
      '/referrals?status=awaiting-consent&page=1&pageSize=2',
      tokens.linkA,
    );
    expect(listA.body).toMatchObject({ page: 1, pageSize: 2 });
    expect(listA.body.items).toHaveLength(2);
    expect(listA.body.total).toBeGreaterThan(2);
    expect(listA.body.items.every((r) => r.status === 'awaiting-consent' && r.pcnCode === PCN_A)).toBe(true);
    expect((await call('GET', '/referrals?status=lost', tokens.linkA)).status).toBe(400);
    expect((await call('GET', '/referrals', tokens.vcso1)).status).toBe(403);
  });
});

describe('lifecycle from consent and matching events', () => {
  const serviceId = randomUUID();

  it('consent granted -> assessed -> offered -> accepted -> consent withdrawn, with contact only in between', async () => {
    const p = person(7);
    const created = await call<Referral>('POST', '/referrals', tokens.referrerA1, referralBody(p));
    const id = created.body.id;
    expect(
      (await call('POST', `/referrals/${id}/assessment`, tokens.linkA, { needs: ['nature'] })).status,
    ).toBe(409);

    const consentId = randomUUID();
    const grantedEventId = await h.publish('consent.granted.v1', {
      consentId,
      referralId: id,
      pcnCode: PCN_A,
      method: 'verbal',
      shareWithVcso: true,
      recordedAt: new Date().toISOString(),
    });
    await waitForStatus(id, 'awaiting-assessment');
    // A redelivered event changes nothing.
    await h.publish(
      'consent.granted.v1',
      {
        consentId,
        referralId: id,
        pcnCode: PCN_A,
        method: 'verbal',
        shareWithVcso: true,
        recordedAt: new Date().toISOString(),
      },
      grantedEventId,
    );

    const note = `Prefers mornings; the dog is friendly (${p.familyName})`;
    notes.push(note);
    const assessed = await call<Referral>('POST', `/referrals/${id}/assessment`, tokens.linkA, {
      needs: ['nature', 'physical-activity'],
      notesForVcso: note,
      autoOffer: false,
    });
    expect(assessed.status).toBe(200);
    expect(assessed.body).toMatchObject({ status: 'matching', responsibleParty: 'link-worker' });
    expect(
      (await call('POST', `/referrals/${id}/assessment`, tokens.linkA, { needs: ['nature'] })).status,
    ).toBe(409);
    expect(
      (await call('POST', `/referrals/${id}/assessment`, tokens.opsA, { needs: ['nature'] })).status,
    ).toBe(403);

    // No offer yet: a VCSO sees nothing.
    expect((await call('GET', `/referrals/${id}/contact`, tokens.vcso1)).status).toBe(404);

    const offerId = randomUUID();
    const offer = { offerId, referralId: id, serviceId, organisationId: claims.vcso1.org!, pcnCode: PCN_A };
    await h.publish('offer.made.v1', {
      ...offer,
      auto: false,
      expiresAt: new Date(Date.now() + 86400000).toISOString(),
      madeAt: new Date().toISOString(),
    });
    await waitForStatus(id, 'offered');

    const contact = await call<Record<string, string>>('GET', `/referrals/${id}/contact`, tokens.vcso1);
    expect(contact.status).toBe(200);
    expect(contact.body).toEqual({
      referralId: id,
      givenName: p.givenName,
      phone: p.phone,
      email: p.email,
      preferredLanguage: 'en',
      notesForVcso: note,
    });
    expect((await call('GET', `/referrals/${id}/contact`, tokens.vcso2)).status).toBe(404);
    expect((await call('GET', `/referrals/${id}/contact`, tokens.linkA)).status).toBe(403);

    await h.publish('offer.accepted.v1', { ...offer, at: new Date().toISOString() });
    const accepted = await waitForStatus(id, 'accepted');
    expect(accepted.responsibleParty).toBe('vcso');

    await h.publish('consent.withdrawn.v1', {
      consentId,
      referralId: id,
      pcnCode: PCN_A,
      withdrawnAt: new Date().toISOString(),
    });
    const closed = await waitForStatus(id, 'closed');
    expect(closed).toMatchObject({ closeReason: 'consent-withdrawn', responsibleParty: 'link-worker' });
    expect((await call('GET', `/referrals/${id}/contact`, tokens.vcso1)).status).toBe(404);
    expect(closed.timeline.map((t) => t.kind)).toEqual([
      'received',
      'consent-granted',
      'assessed',
      'offer-made',
      'offer-accepted',
      'consent-withdrawn',
    ]);

    const audit: { actor_sub: string; reason: string }[] = await h.ds.query(
      `SELECT actor_sub, reason FROM audit_log WHERE referral_id = $1 AND reason IN ('contact-requested', 'assessment-recorded') ORDER BY id`,
      [id],
    );
    expect(audit).toEqual([
      { actor_sub: 'lw-a', reason: 'assessment-recorded' },
      { actor_sub: 'vc-1', reason: 'contact-requested' },
    ]);

    // Every change went out on the referral topic, in order, keyed by the referral.
    const published = await waitFor(
      () => {
        const mine = h.collected.filter((m) => m.key === id);
        return mine.length >= 8 ? mine : undefined;
      },
      { message: 'status changes of the referral on sp.referral.events.v1' },
    );
    const types = published.map((m) => (JSON.parse(m.headers) as Record<string, string>).ce_type);
    expect(types.filter((t) => t === 'referral.status-changed.v1')).toHaveLength(6);
    expect(types).toEqual(
      expect.arrayContaining(['referral.received.v1', 'referral.assessed.v1', 'referral.closed.v1']),
    );
    const tos = published
      .filter(
        (m) => (JSON.parse(m.headers) as Record<string, string>).ce_type === 'referral.status-changed.v1',
      )
      .map((m) => (JSON.parse(m.value) as { to: string }).to);
    expect(tos).toEqual([
      'awaiting-consent',
      'awaiting-assessment',
      'matching',
      'offered',
      'accepted',
      'closed',
    ]);
  });

  it('dead-letters an event it can never process, and keeps going', async () => {
    const poisonId = randomUUID();
    await h.publishRaw('sp.consent.events.v1', {
      id: poisonId,
      type: 'consent.granted.v1',
      source: '/test/faulty',
      specversion: '1.0',
      time: new Date().toISOString(),
      subject: 'not-a-referral',
      datacontenttype: 'application/json',
      data: { referralId: 'not-a-referral', shareWithVcso: 'yes' },
    });
    const created = await call<Referral>('POST', '/referrals', tokens.referrerA1, referralBody(person(3)));
    await h.publish('consent.granted.v1', {
      consentId: randomUUID(),
      referralId: created.body.id,
      pcnCode: PCN_A,
      method: 'verbal',
      shareWithVcso: false,
      recordedAt: new Date().toISOString(),
    });
    await waitForStatus(created.body.id, 'awaiting-assessment');
    const inbox = await waitFor(
      async () => {
        const rows: { status: string }[] = await h.ds.query(`SELECT status FROM inbox WHERE ce_id = $1`, [
          poisonId,
        ]);
        return rows[0];
      },
      { message: 'the poison message recorded as dead-lettered' },
    );
    expect(inbox.status).toBe('dead-lettered');
  });

  it('closes on declined consent', async () => {
    const created = await call<Referral>('POST', '/referrals', tokens.referrerA1, referralBody(person(8)));
    await h.publish('consent.declined.v1', {
      consentId: randomUUID(),
      referralId: created.body.id,
      pcnCode: PCN_A,
      method: 'written',
      recordedAt: new Date().toISOString(),
    });
    const closed = await waitForStatus(created.body.id, 'closed');
    expect(closed.closeReason).toBe('consent-declined');
  });

  it('hands the duty of care back on a declined offer and completes on a completed one', async () => {
    const created = await call<Referral>('POST', '/referrals', tokens.referrerA1, referralBody(person(9)));
    const id = created.body.id;
    const now = () => new Date().toISOString();
    await h.publish('consent.granted.v1', {
      consentId: randomUUID(),
      referralId: id,
      pcnCode: PCN_A,
      method: 'digital',
      shareWithVcso: false,
      recordedAt: now(),
    });
    await waitForStatus(id, 'awaiting-assessment');
    expect(
      (await call('POST', `/referrals/${id}/assessment`, tokens.linkA, { needs: ['money'] })).status,
    ).toBe(200);
    const first = {
      offerId: randomUUID(),
      referralId: id,
      serviceId,
      organisationId: claims.vcso1.org!,
      pcnCode: PCN_A,
    };
    await h.publish('offer.made.v1', { ...first, auto: true, expiresAt: now(), madeAt: now() });
    await waitForStatus(id, 'offered');
    // Consent did not cover sharing with VCSOs: even with an offer, no contact details.
    expect((await call('GET', `/referrals/${id}/contact`, tokens.vcso1)).status).toBe(404);
    await h.publish('offer.declined.v1', { ...first, reason: 'no-capacity', at: now() });
    const back = await waitForStatus(id, 'matching');
    expect(back.responsibleParty).toBe('link-worker');

    const second = { ...first, offerId: randomUUID(), organisationId: claims.vcso2.org! };
    await h.publish('offer.made.v1', { ...second, auto: false, expiresAt: now(), madeAt: now() });
    await waitForStatus(id, 'offered');
    await h.publish('offer.accepted.v1', { ...second, at: now() });
    await waitForStatus(id, 'accepted');
    await h.publish('offer.completed.v1', { ...second, outcome: 'completed', at: now() });
    const done = await waitForStatus(id, 'completed');
    const offers: { status: string }[] = await h.ds.query(
      `SELECT status FROM referral_offer WHERE referral_id = $1 ORDER BY status`,
      [id],
    );
    expect(offers.map((o) => o.status)).toEqual(['completed', 'declined']);
    expect(done.timeline.map((t) => t.kind)).toContain('offer-declined');
    expect((await call('POST', `/referrals/${id}/close`, tokens.linkA, { reason: 'other' })).status).toBe(
      409,
    );
  });

  it('closes by hand with a reason, once', async () => {
    const created = await call<Referral>('POST', '/referrals', tokens.referrerA1, referralBody(person(0)));
    const id = created.body.id;
    const bad = await call<Problem>('POST', `/referrals/${id}/close`, tokens.opsA, { reason: 'bored' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors!.map((e) => e.field)).toEqual(['reason']);
    expect(
      (await call('POST', `/referrals/${id}/close`, tokens.referrerA1, { reason: 'no-contact' })).status,
    ).toBe(403);
    const closed = await call<Referral>('POST', `/referrals/${id}/close`, tokens.opsA, {
      reason: 'no-contact',
    });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'closed', closeReason: 'no-contact' });
    expect((await call('POST', `/referrals/${id}/close`, tokens.linkA, { reason: 'other' })).status).toBe(
      409,
    );
  });
});

describe('invariant 1: nothing identifiable leaves the service', () => {
  it('no referral-topic message and no log line holds a test person’s identifiers or notes', async () => {
    await waitFor(async () => (await h.count('outbox WHERE published_at IS NULL')) === 0, {
      message: 'outbox drained',
    });
    const ids: { ce_id: string }[] = await h.ds.query(`SELECT ce_id FROM outbox`);
    await waitFor(
      () => {
        const seen = new Set(h.collected.map((m) => (JSON.parse(m.headers) as Record<string, string>).ce_id));
        return ids.every((r) => seen.has(r.ce_id));
      },
      { message: 'every published event collected from sp.referral.events.v1' },
    );
    expect(h.collected.length).toBeGreaterThanOrEqual(ids.length);
    const needles = people.flatMap((p) => [
      p.nhsNumber,
      NhsNumber.parse(p.nhsNumber).formatted(),
      p.givenName,
      p.familyName,
      p.birthDate,
      p.postcode,
      p.postcode.replace(' ', ''),
      p.phone,
      p.phone.replace(/ /g, ''),
      p.email,
    ]);
    needles.push(...notes, 'Hollowbrook');
    const haystacks = [...h.collected.map((m) => `${m.key}\n${m.headers}\n${m.value}`), ...h.logs];
    const leaks = needles.filter((n) => haystacks.some((s) => s.includes(n)));
    expect(leaks).toEqual([]);
    // The scan is meaningful: the events were there and carry the de-identified forms.
    expect(h.logs.join('')).toContain('listening on http://localhost:3111');
    expect(h.collected.some((m) => m.value.includes('"postcodeDistrict":"LS2"'))).toBe(true);
  });
});
