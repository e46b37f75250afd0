import type { INestApplication } from '@nestjs/common';
import { mintDevToken, type AuthClaims } from '@sp/auth';
import {
  EVENT_EXAMPLES,
  validateEvent,
  type CloudEvent,
  type EventData,
  type EventType,
  type ReferralStatus,
} from '@sp/contracts';
import { bootstrapService } from '@sp/platform';
import { startConsumerGroupAtEnd } from '@sp/messaging';
import { callJson, createTestDatabase, uniqueName, waitFor } from '@sp/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  collectEvents,
  createEventPublisher,
  type EventCollector,
  type EventPublisher,
} from './kafka-events';

/**
 * The consent service in-process on a test port and its own database, fed by real referral events on
 * sp.referral.events.v1 (as intake's relay would publish them), and read back from sp.consent.events.v1.
 */
const PORT = 3112;
const BASE = `http://127.0.0.1:${PORT}/api/v1`;
const PCN = 'U00001';
const OTHER_PCN = 'U00002';

interface Problem {
  status: number;
  title: string;
  detail?: string;
  errors?: { field: string; message: string }[];
}
interface ConsentBody {
  id: string;
  referralId: string;
  decision: string;
  method: string;
  shareWithVcso: boolean;
  recordedAt: string;
  withdrawnAt: string | null;
}

let app: INestApplication;
let ds: DataSource;
let dropDb: () => Promise<void>;
let publisher: EventPublisher;
let consentTopic: EventCollector;
const tokens: Record<string, string> = {};
const savedEnv = { ...process.env };

function event<T extends EventType>(
  type: T,
  data: EventData<T>,
  subject: string,
  id = randomUUID(),
): CloudEvent {
  return {
    id,
    type,
    source: 'referral-intake',
    specversion: '1.0',
    time: new Date().toISOString(),
    subject,
    datacontenttype: 'application/json',
    data,
  };
}

function received(referralId: string, pcnCode = PCN): CloudEvent {
  return event(
    'referral.received.v1',
    {
      ...EVENT_EXAMPLES['referral.received.v1'],
      referralId,
      pcnCode,
      practiceCode: 'P00001',
      personKey: randomBytes(32).toString('hex'),
      receivedAt: new Date().toISOString(),
    },
    referralId,
  );
}

function closed(referralId: string, reason: 'consent-withdrawn' | 'no-contact'): CloudEvent {
  return event(
    'referral.closed.v1',
    { referralId, pcnCode: PCN, reason, closedAt: new Date().toISOString() },
    referralId,
  );
}

async function projected(
  referralId: string,
): Promise<{ pcn_code: string; status: string; closed: boolean } | undefined> {
  const rows: { pcn_code: string; status: string; closed: boolean }[] = await ds.query(
    `SELECT pcn_code, status, closed FROM referral_projection WHERE referral_id = $1`,
    [referralId],
  );
  return rows[0];
}

/** A referral intake has announced and consent has projected. */
async function knownReferral(pcnCode = PCN): Promise<string> {
  const id = randomUUID();
  await publisher.publish(received(id, pcnCode));
  await waitFor(() => projected(id), { timeoutMs: 30000, message: `referral ${id} to reach the projection` });
  return id;
}

const call = <T = unknown>(method: 'GET' | 'POST', path: string, token: string | undefined, body?: unknown) =>
  callJson<T>(BASE, method, path, token, body);

const grant = (referralId: string, token = tokens.lw) =>
  call<ConsentBody & Problem>('POST', '/consents', token, {
    referralId,
    decision: 'granted',
    method: 'verbal',
    shareWithVcso: true,
  });

const consentEvents = (referralId: string, type?: string) =>
  consentTopic.events.filter((e) => e.subject === referralId && (!type || e.type === type));

/** The first event of `type` about the referral on sp.consent.events.v1, once it arrives. */
const published = (referralId: string, type: string) =>
  waitFor(() => consentEvents(referralId, type)[0], {
    message: `${type} for ${referralId} on sp.consent.events.v1`,
  });

async function consentRows(referralId: string): Promise<number> {
  const [{ n }]: { n: number }[] = await ds.query(
    `SELECT count(*)::int AS n FROM consents WHERE referral_id = $1`,
    [referralId],
  );
  return n;
}

beforeAll(async () => {
  const db = await createTestDatabase(uniqueName('consent_it'));
  dropDb = db.drop;
  process.env.CONSENT_DATABASE_URL = db.url;
  // A group of its own: the test never steals partitions from, or moves the offsets of, a running consent.
  process.env.SP_CONSUMER_GROUP = 'consent-it';
  // Start at the topic's end: the suite consumes what it publishes, not every earlier suite's events.
  await startConsumerGroupAtEnd(process.env.SP_CONSUMER_GROUP, ['sp.referral.events.v1']);
  consentTopic = await collectEvents('sp.consent.events.v1', 'consent-it-collector');
  publisher = await createEventPublisher('consent-it-publisher');
  // Imported only now: the module reads the database URL above when it is defined.
  const { AppModule } = await import('../src/app.module');
  const { MIGRATIONS } = await import('../src/migrations');
  app = await bootstrapService({
    service: 'consent',
    module: AppModule,
    title: 'Consent service',
    migrations: MIGRATIONS,
    port: PORT,
  });
  ds = app.get(DataSource);
  const claims: Record<string, AuthClaims> = {
    lw: { sub: 'lw-1', role: 'link_worker', pcn: PCN },
    ops: { sub: 'ops-1', role: 'pcn_ops', pcn: PCN },
    otherLw: { sub: 'lw-2', role: 'link_worker', pcn: OTHER_PCN },
    otherOps: { sub: 'ops-2', role: 'pcn_ops', pcn: OTHER_PCN },
    admin: { sub: 'admin-1', role: 'admin' },
    referrer: { sub: 'ref-1', role: 'referrer', practice: 'P00001', pcn: PCN },
  };
  for (const [name, c] of Object.entries(claims)) tokens[name] = await mintDevToken(c);
}, 120000);

afterAll(async () => {
  await app?.close();
  await publisher?.close();
  await consentTopic?.stop();
  await dropDb?.();
  process.env = savedEnv;
});

describe('the service', () => {
  it('is ready, and documents its routes', async () => {
    const health = await fetch(`http://127.0.0.1:${PORT}/health`);
    expect(health.status).toBe(200);
    const doc = (await (await fetch(`http://127.0.0.1:${PORT}/docs/json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(doc.paths['/api/v1/consents']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/v1/consents/{id}/withdraw'])).toEqual(['post']);
  });
});

describe('POST /consents', () => {
  it('records a grant (201) and publishes consent.granted.v1 carrying ids and codes only', async () => {
    const referralId = await knownReferral();
    const res = await grant(referralId);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      referralId,
      decision: 'granted',
      method: 'verbal',
      shareWithVcso: true,
      recordedAt: expect.any(String),
      withdrawnAt: null,
    });
    const ev = await published(referralId, 'consent.granted.v1');
    expect(validateEvent(ev)).toEqual([]);
    expect(ev.source).toBe('consent');
    expect(ev.data).toEqual({
      consentId: res.body.id,
      referralId,
      pcnCode: PCN,
      method: 'verbal',
      shareWithVcso: true,
      recordedAt: res.body.recordedAt,
    });
    // Not even who recorded it travels.
    expect(JSON.stringify(ev)).not.toContain('lw-1');
    const [row]: { recorded_by_sub: string; recorded_by_role: string }[] = await ds.query(
      `SELECT recorded_by_sub, recorded_by_role FROM consents WHERE id = $1`,
      [res.body.id],
    );
    expect(row).toEqual({ recorded_by_sub: 'lw-1', recorded_by_role: 'link_worker' });
  });

  it('records a decline and publishes consent.declined.v1; a second decision is a 409', async () => {
    const referralId = await knownReferral();
    const res = await call<ConsentBody>('POST', '/consents', tokens.ops, {
      referralId,
      decision: 'declined',
      method: 'written',
      shareWithVcso: true,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      decision: 'declined',
      method: 'written',
      shareWithVcso: false,
      withdrawnAt: null,
    });
    const ev = await published(referralId, 'consent.declined.v1');
    expect(validateEvent(ev)).toEqual([]);
    expect(Object.keys(ev.data as object).sort()).toEqual([
      'consentId',
      'method',
      'pcnCode',
      'recordedAt',
      'referralId',
    ]);

    const again = await grant(referralId);
    expect(again.status).toBe(409);
    expect(again.type).toContain('application/problem+json');
    expect(again.body.detail).toMatch(/declined/);
    expect(await consentRows(referralId)).toBe(1);
  });

  it('answers for a referral intake announces while the request waits (read-your-writes)', async () => {
    const referralId = randomUUID();
    const asked = grant(referralId);
    // The event lands after the request has found nothing and started waiting for the projection.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await publisher.publish(received(referralId));
    const res = await asked;
    expect(res.status).toBe(201);
    expect(res.body.referralId).toBe(referralId);
  });

  it('lets an admin record for any PCN, and refuses other roles (403) and missing tokens (401)', async () => {
    const referralId = await knownReferral(OTHER_PCN);
    expect((await grant(referralId, tokens.referrer)).status).toBe(403);
    expect((await grant(referralId, '')).status).toBe(401);
    expect((await grant(referralId, tokens.admin)).status).toBe(201);
  });

  it('is 404 alike for a referral of another PCN and an unknown one: same answer, same wait', async () => {
    const referralId = await knownReferral(OTHER_PCN);
    const t0 = Date.now();
    const other = await grant(referralId, tokens.lw);
    const otherMs = Date.now() - t0;
    expect(other.status).toBe(404);
    expect(other.type).toContain('application/problem+json');

    const t1 = Date.now();
    const missing = await grant(randomUUID(), tokens.lw);
    const missingMs = Date.now() - t1;
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe(other.body.detail);
    // Both wait out the projection's grace period, so timing does not tell them apart either.
    expect(otherMs).toBeGreaterThanOrEqual(2800);
    expect(missingMs).toBeGreaterThanOrEqual(2800);
    expect(await consentRows(referralId)).toBe(0);
  });

  it('is 409 for a closed referral', async () => {
    const referralId = await knownReferral();
    await publisher.publish(closed(referralId, 'no-contact'));
    await waitFor(async () => (await projected(referralId))?.closed, {
      message: 'the closure to reach the projection',
    });
    const res = await grant(referralId);
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/closed/);
    expect(await consentRows(referralId)).toBe(0);
  });

  it('refuses bad bodies with 400 problem+json naming each field, and writes nothing', async () => {
    const referralId = await knownReferral();
    const cases: { body: unknown; fields: string[] }[] = [
      { body: {}, fields: ['referralId', 'decision', 'method', 'shareWithVcso'] },
      {
        body: { referralId: 'not-a-uuid', decision: 'maybe', method: 'telepathy', shareWithVcso: 'yes' },
        fields: ['referralId', 'decision', 'method', 'shareWithVcso'],
      },
      {
        body: { referralId, decision: 'granted', method: 'verbal', shareWithVcso: true, note: 'free text' },
        fields: ['note'],
      },
      { body: { referralId, decision: 'granted', method: 'verbal' }, fields: ['shareWithVcso'] },
      {
        body: { referralId, decision: 'granted', method: 'verbal', shareWithVcso: 1 },
        fields: ['shareWithVcso'],
      },
    ];
    for (const c of cases) {
      const res = await call<Problem>('POST', '/consents', tokens.lw, c.body);
      expect({ body: c.body, status: res.status }).toEqual({ body: c.body, status: 400 });
      expect(res.type).toContain('application/problem+json');
      expect([...new Set(res.body.errors!.map((e) => e.field))].sort()).toEqual([...c.fields].sort());
    }
    const notJson = await fetch(`${BASE}/consents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.lw}` },
      body: '{"referralId":',
    });
    expect(notJson.status).toBe(400);
    expect(await consentRows(referralId)).toBe(0);
    expect(consentEvents(referralId)).toEqual([]);
  });

  it('lets exactly one of 10 concurrent decisions on one referral succeed; the rest are 409', async () => {
    const referralId = await knownReferral();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call('POST', '/consents', i % 2 ? tokens.lw : tokens.ops, {
          referralId,
          decision: i % 3 ? 'granted' : 'declined',
          method: 'digital',
          shareWithVcso: false,
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    expect(await consentRows(referralId)).toBe(1);
    const [{ n }]: { n: number }[] = await ds.query(`SELECT count(*)::int AS n FROM outbox WHERE key = $1`, [
      referralId,
    ]);
    expect(n).toBe(1);
  });
});

describe('POST /consents/:id/withdraw and GET /consents', () => {
  it('withdraws a grant, publishes consent.withdrawn.v1 and keeps the history', async () => {
    const referralId = await knownReferral();
    const granted = await grant(referralId);
    expect(granted.status).toBe(201);

    const res = await call<ConsentBody>('POST', `/consents/${granted.body.id}/withdraw`, tokens.ops, {
      reason: 'person-request',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: granted.body.id,
      decision: 'granted',
      recordedAt: granted.body.recordedAt,
    });
    expect(res.body.withdrawnAt).toEqual(expect.any(String));

    const ev = await published(referralId, 'consent.withdrawn.v1');
    expect(validateEvent(ev)).toEqual([]);
    expect(ev.data).toEqual({
      consentId: granted.body.id,
      referralId,
      pcnCode: PCN,
      withdrawnAt: res.body.withdrawnAt,
    });

    const history = await call<{ items: ConsentBody[]; page: number; pageSize: number; total: number }>(
      'GET',
      `/consents?referralId=${referralId}`,
      tokens.lw,
    );
    expect(history.status).toBe(200);
    expect(history.body).toEqual({ items: [res.body], page: 1, pageSize: 50, total: 1 });

    // Withdrawn once only; and no new grant behind the withdrawal, even before intake closes the referral.
    expect((await call('POST', `/consents/${granted.body.id}/withdraw`, tokens.lw)).status).toBe(409);
    const regrant = await grant(referralId);
    expect(regrant.status).toBe(409);
    expect(regrant.body.detail).toMatch(/withdrawn/);

    // Intake then closes the referral; still 409, now because it is closed.
    await publisher.publish(closed(referralId, 'consent-withdrawn'));
    await waitFor(async () => (await projected(referralId))?.closed, {
      message: 'the closure to reach the projection',
    });
    expect((await grant(referralId)).body.detail).toMatch(/closed/);
    expect(await consentRows(referralId)).toBe(1);
  });

  it('refuses to withdraw a decline (409), free-text reasons (400) and consents of another PCN (404)', async () => {
    const declinedRef = await knownReferral();
    const declined = await call<ConsentBody>('POST', '/consents', tokens.lw, {
      referralId: declinedRef,
      decision: 'declined',
      method: 'verbal',
      shareWithVcso: false,
    });
    expect((await call('POST', `/consents/${declined.body.id}/withdraw`, tokens.lw, {})).status).toBe(409);

    const referralId = await knownReferral();
    const granted = await grant(referralId);
    const freeText = await call<Problem>('POST', `/consents/${granted.body.id}/withdraw`, tokens.lw, {
      reason: 'Mrs Smith phoned to say no',
    });
    expect(freeText.status).toBe(400);
    expect(freeText.body.errors!.map((e) => e.field)).toEqual(['reason']);
    expect((await call<Problem>('POST', '/consents/not-a-uuid/withdraw', tokens.lw)).body.errors).toEqual([
      { field: 'id', message: 'id must be a UUID' },
    ]);

    expect((await call('POST', `/consents/${granted.body.id}/withdraw`, tokens.otherLw)).status).toBe(404);
    expect((await call('POST', `/consents/${randomUUID()}/withdraw`, tokens.lw)).status).toBe(404);
    const [row]: { withdrawn_at: Date | null }[] = await ds.query(
      `SELECT withdrawn_at FROM consents WHERE id = $1`,
      [granted.body.id],
    );
    expect(row.withdrawn_at).toBeNull();
  });

  it('lists only within scope: 404 for another PCN, 400 without a referralId', async () => {
    const referralId = await knownReferral();
    await grant(referralId);
    expect((await call('GET', `/consents?referralId=${referralId}`, tokens.otherOps)).status).toBe(404);
    const admin = await call<{ total: number }>('GET', `/consents?referralId=${referralId}`, tokens.admin);
    expect(admin.body.total).toBe(1);
    const none = await call<{ items: unknown[]; total: number }>(
      'GET',
      `/consents?referralId=${await knownReferral()}&page=1&pageSize=10`,
      tokens.lw,
    );
    expect(none.body).toEqual({ items: [], page: 1, pageSize: 10, total: 0 });
    const bad = await call<Problem>('GET', '/consents?pageSize=1000', tokens.lw);
    expect(bad.status).toBe(400);
    expect(bad.body.errors!.map((e) => e.field).sort()).toEqual(['pageSize', 'referralId']);
  });

  it('keeps the history append-only in the database itself', async () => {
    const referralId = await knownReferral();
    const granted = await grant(referralId);
    await expect(
      ds.query(`UPDATE consents SET method = 'written' WHERE id = $1`, [granted.body.id]),
    ).rejects.toThrow(/append-only/);
    await expect(ds.query(`DELETE FROM consents WHERE id = $1`, [granted.body.id])).rejects.toThrow(
      /append-only/,
    );
  });
});

describe('referral projection', () => {
  it('absorbs a redelivered referral.received.v1 (same ce_id) and follows status changes', async () => {
    const referralId = randomUUID();
    const first = received(referralId);
    await publisher.publish(first);
    await waitFor(() => projected(referralId), { message: 'the referral to be projected' });

    // The same event again, its payload tampered with: if it were applied, the PCN would change.
    const redelivery: CloudEvent = { ...first, data: { ...(first.data as object), pcnCode: 'U00009' } };
    const moved = event(
      'referral.status-changed.v1',
      {
        referralId,
        pcnCode: PCN,
        practiceCode: 'P00001',
        from: 'awaiting-consent',
        to: 'awaiting-assessment',
        responsibleParty: 'referrer',
        changedAt: new Date().toISOString(),
      },
      referralId,
    );
    // Same key, same partition: once the status change is applied, the redelivery before it was handled.
    await publisher.publish(redelivery, moved);
    await waitFor(async () => (await projected(referralId))?.status === 'awaiting-assessment', {
      message: 'the status change to be projected',
    });
    expect(await projected(referralId)).toEqual({
      pcn_code: PCN,
      status: 'awaiting-assessment',
      closed: false,
    });
    const inbox: { status: string }[] = await ds.query(`SELECT status FROM inbox WHERE ce_id = $1`, [
      first.id,
    ]);
    expect(inbox).toEqual([{ status: 'processed' }]);
  });

  it('never reopens a closed referral for a late, older status change', async () => {
    const referralId = await knownReferral();
    const before = new Date(Date.now() - 60_000).toISOString();
    await publisher.publish(closed(referralId, 'no-contact'));
    const late = event(
      'referral.status-changed.v1',
      {
        referralId,
        pcnCode: PCN,
        practiceCode: 'P00001',
        from: 'awaiting-consent',
        to: 'awaiting-assessment',
        responsibleParty: 'referrer',
        changedAt: before,
      },
      referralId,
    );
    await publisher.publish(late);
    await waitFor(async () => (await ds.query(`SELECT 1 FROM inbox WHERE ce_id = $1`, [late.id])).length, {
      message: 'the late status change to be consumed',
    });
    expect(await projected(referralId)).toEqual({ pcn_code: PCN, status: 'closed', closed: true });
  });

  it('applies a burst of events about the same referrals, taken in runs, to the newest state', async () => {
    // After the receipts (stamped now), one second apart; at(-60) is older than all of them.
    const at = (s: number) => new Date(Date.now() + 1000 + s * 1000).toISOString();
    const change = (referralId: string, from: ReferralStatus, to: ReferralStatus, changedAt: string) =>
      event(
        'referral.status-changed.v1',
        {
          referralId,
          pcnCode: PCN,
          practiceCode: 'P00001',
          from,
          to,
          responsibleParty: 'link-worker',
          changedAt,
        },
        referralId,
      );
    const open = Array.from({ length: 12 }, () => randomUUID());
    const shut = Array.from({ length: 8 }, () => randomUUID());
    const burst: CloudEvent[] = [];
    for (const id of [...open, ...shut]) burst.push(received(id));
    for (const id of [...open, ...shut])
      burst.push(change(id, 'awaiting-consent', 'awaiting-assessment', at(1)));
    for (const id of [...open, ...shut]) burst.push(change(id, 'awaiting-assessment', 'matching', at(2)));
    for (const id of shut)
      burst.push(
        event(
          'referral.closed.v1',
          { referralId: id, pcnCode: PCN, reason: 'no-contact', closedAt: at(3) },
          id,
        ),
      );
    // Late and older than what is already there: changes nothing.
    for (const id of [...open, ...shut])
      burst.push(change(id, 'awaiting-consent', 'awaiting-assessment', at(-60)));
    await publisher.publish(...burst);
    const last = burst[burst.length - 1];
    await waitFor(async () => (await ds.query(`SELECT 1 FROM inbox WHERE ce_id = $1`, [last.id])).length, {
      message: 'the burst to be consumed',
    });
    for (const id of open)
      expect(await projected(id)).toEqual({ pcn_code: PCN, status: 'matching', closed: false });
    for (const id of shut)
      expect(await projected(id)).toEqual({ pcn_code: PCN, status: 'closed', closed: true });
    const reasons: { close_reason: string }[] = await ds.query(
      `SELECT close_reason FROM referral_projection WHERE referral_id = ANY($1)`,
      [shut],
    );
    expect(reasons.map((r) => r.close_reason)).toEqual(shut.map(() => 'no-contact'));
  });

  it('dead-letters a referral event that breaks the contract, and carries on', async () => {
    const dlq = await collectEvents('sp.referral.events.v1.dlq', 'consent-it-dlq');
    try {
      const referralId = randomUUID();
      const poison = received(referralId);
      poison.data = { ...(poison.data as object), pcnCode: 'not-a-pcn' };
      const good = randomUUID();
      await publisher.publish(poison, received(good));
      const dead = await waitFor(() => dlq.events.find((e) => e.id === poison.id), {
        message: 'the poison event on sp.referral.events.v1.dlq',
      });
      expect(dlq.headers.get(dead.id)).toMatchObject({ dlq_consumer: 'consent-it' });
      expect(dlq.headers.get(dead.id)?.dlq_reason).toMatch(/pcnCode/);
      await waitFor(() => projected(good), { message: 'the next referral to be projected' });
      expect(await projected(referralId)).toBeUndefined();
    } finally {
      await dlq.stop();
    }
  });
});
