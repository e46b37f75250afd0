import type { INestApplication } from '@nestjs/common';
import type { AuthClaims } from '@sp/auth';
import { type AnalyticsStatusChangedV1, type CloudEvent, type PcnRegisteredV1 } from '@sp/contracts';
import { collectEvents, type EventCollector, type EventPublisher } from '@sp/messaging';
import { waitFor } from '@sp/testing';
import { createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MetricsHarness, testEvent as event } from './metrics-harness';
import { IcsRemap } from '../src/projections/ics-remap';

/**
 * Which ICS a PCN's figures belong to, learnt from pcn.registered.v1: commissioning-metrics in-process
 * with its own database and consumer group (at the topics' ends), fed real events. The environment maps
 * the PCN to another ICS, so every assertion that the registered ICS wins can fail.
 */
const PORT = 3135;
const pcn = () => `U8${String(randomInt(0, 10000)).padStart(4, '0')}`;
const PCN_P = pcn();
let PCN_Q = pcn();
while (PCN_Q === PCN_P) PCN_Q = pcn();
// This run's ICS (a hex pair, so never one of the fixed codes below).
const ICS = `Q${randomBytes(1).toString('hex').toUpperCase()}`;
const ENV_ICS = 'QZZ'; // where PCN_ICS_MAP puts PCN_P
const DEFAULT_ICS = 'QZY'; // DEFAULT_ICS_CODE, for PCN_Q and anyone else
const ICS_KEY = randomBytes(16).toString('hex');
const T0 = Date.parse('2026-02-02T09:00:00Z');
const day = (n: number) => new Date(T0 + n * 86_400_000).toISOString();

let app: INestApplication;
let ds: DataSource;
let analytics: EventCollector;
let publisher: EventPublisher;
const CLAIMS: Record<string, AuthClaims> = {
  analyst: { sub: 'analyst', role: 'ics_analyst', ics: ICS },
  envAnalyst: { sub: 'analyst-env', role: 'ics_analyst', ics: ENV_ICS },
  defaultAnalyst: { sub: 'analyst-default', role: 'ics_analyst', ics: DEFAULT_ICS },
  opsP: { sub: 'ops-p', role: 'pcn_ops', pcn: PCN_P },
};
const h = new MetricsHarness({
  name: 'commissioning-metrics-pcn-it',
  port: PORT,
  env: {
    PCN_ICS_MAP: JSON.stringify({ [PCN_P]: ENV_ICS }),
    DEFAULT_ICS_CODE: DEFAULT_ICS,
    ANALYTICS_ICS_KEYS: JSON.stringify({ [ICS]: ICS_KEY }),
  },
  claims: CLAIMS,
});
const { tokens, send, allConsumed, get } = h;

function registered(pcnCode: string, icsCode: string, registeredAt: string): CloudEvent {
  const data: PcnRegisteredV1 = {
    pcnCode,
    name: `PCN ${pcnCode}`,
    icsCode,
    practices: [{ code: 'P80001', postcodeDistrict: 'LS6' }],
    settings: { offerExpiryDays: 14, autoOffer: false },
    registeredAt,
  };
  return event('pcn.registered.v1', data);
}

interface Person {
  id: string;
  pcnCode: string;
  personKey: string;
}
const person = (pcnCode: string): Person => ({
  id: randomUUID(),
  pcnCode,
  personKey: randomBytes(32).toString('hex'),
});

const received = (p: Person, at = day(0)) =>
  event('referral.received.v1', {
    referralId: p.id,
    personKey: p.personKey,
    pcnCode: p.pcnCode,
    practiceCode: 'P80001',
    needs: ['loneliness'],
    ageBand: '65-74',
    postcodeDistrict: 'LS6',
    source: 'api',
    receivedAt: at,
  });
const awaitingConsent = (p: Person, at = day(0)) =>
  event('referral.status-changed.v1', {
    referralId: p.id,
    pcnCode: p.pcnCode,
    practiceCode: 'P80001',
    to: 'awaiting-consent',
    responsibleParty: 'link-worker',
    changedAt: at,
  });
const consented = (p: Person) =>
  event('consent.granted.v1', {
    consentId: randomUUID(),
    referralId: p.id,
    pcnCode: p.pcnCode,
    method: 'verbal',
    shareWithVcso: true,
    recordedAt: day(1),
  });
const unmet = (p: Person) =>
  event('need.unmet.v1', {
    referralId: p.id,
    pcnCode: p.pcnCode,
    needs: ['loneliness'],
    postcodeDistrict: 'LS6',
    reason: 'no-suitable-service',
    at: day(2),
  });

interface Summary {
  icsCode?: string;
  counts: Record<string, number | null>;
  suppressed: string[];
}
interface UnmetPage {
  items: {
    need: string;
    postcodeDistrict: string;
    referrals: number | null;
    noSuitableService: number | null;
  }[];
}
const summary = (token: string, query = '') =>
  get<Summary>(`/metrics/summary?from=2026-02-01&to=2026-03-01${query}`, token);

async function icsOfRows(pcnCode: string): Promise<string[]> {
  const rows: { ics_code: string }[] = await ds.query(
    `SELECT DISTINCT ics_code FROM (
       SELECT ics_code FROM referral_fact WHERE pcn_code = $1
       UNION ALL SELECT ics_code FROM unmet_need WHERE pcn_code = $1) r ORDER BY 1`,
    [pcnCode],
  );
  return rows.map((r) => r.ics_code);
}

// PCN_P's people: 12 referred, 5 of them consented, 9 with an unmet need, all before the PCN event.
const early = Array.from({ length: 12 }, () => person(PCN_P));
// Its status change is projected before the PCN event, its receipt (and so its analytics twin) after.
const late = person(PCN_P);
const firstRegistration = registered(PCN_P, ICS, '2026-01-30T12:00:00Z');
const serviceId = randomUUID();

beforeAll(async () => {
  await h.start();
  ({ app, ds, analytics, publisher } = h);

  for (const [i, p] of early.entries()) {
    const events = [received(p), awaitingConsent(p)];
    if (i < 5) events.push(consented(p));
    if (i < 9) events.push(unmet(p));
    await send(...events);
  }
  await send(
    awaitingConsent(late),
    event('service.registered.v1', {
      serviceId,
      organisationId: randomUUID(),
      icsCode: ICS,
      needs: ['loneliness'],
      postcodeDistrict: 'LS6',
      locationKnown: false,
      radiusKm: 5,
      languages: [],
      accessibility: [],
      mode: 'in-person',
      maxActive: 4,
      weeklyIntake: 2,
      registeredAt: day(0),
    }),
  );
  await allConsumed();
}, 180000);

afterAll(() => h.stop());

describe('before the PCN is registered', () => {
  it("counts the PCN's referrals under the environment's ICS", async () => {
    expect(await icsOfRows(PCN_P)).toEqual([ENV_ICS]);
    expect((await summary(tokens.envAnalyst)).body.counts.received).toBe(10);
    expect((await summary(tokens.analyst)).body.counts.received).toBe(0);
    expect((await summary(tokens.analyst, `&pcnCode=${PCN_P}`)).status).toBe(404);
  });
});

describe('pcn.registered.v1', () => {
  beforeAll(async () => {
    await send(firstRegistration);
    await allConsumed();
  });

  it('moves the referrals projected before it to its ICS', async () => {
    expect(await icsOfRows(PCN_P)).toEqual([ICS]);
    const [held]: { ics_code: string; registered_at: Date }[] = await ds.query(
      `SELECT ics_code, registered_at FROM pcn_ics WHERE pcn_code = $1`,
      [PCN_P],
    );
    expect(held).toEqual({ ics_code: ICS, registered_at: new Date('2026-01-30T12:00:00Z') });
  });

  it("shows that ICS's analyst the PCN's figures, under the small-number rule", async () => {
    for (const query of ['', `&pcnCode=${PCN_P}`]) {
      const res = await summary(tokens.analyst, query);
      expect(res.status).toBe(200);
      expect(res.body.icsCode).toBe(ICS);
      expect(res.body.counts.received).toBe(10); // 12, rounded to 5
      expect(res.body.counts.consented).toBeNull(); // 5: suppressed
      expect(res.body.suppressed).toContain('consented');
    }
    const need = await get<UnmetPage>('/metrics/unmet-need', tokens.analyst);
    expect(need.body.items).toEqual([
      expect.objectContaining({
        need: 'loneliness',
        postcodeDistrict: 'LS6',
        referrals: 10, // 9
        noSuitableService: 10,
      }),
    ]);
    const csv = await get<string>('/metrics/export.csv?from=2026-02-01&to=2026-03-01', tokens.analyst);
    expect(csv.body).toContain(`,${PCN_P},P80001,loneliness,10,`);
  });

  it('shows them to no other ICS, whatever the environment says', async () => {
    for (const token of [tokens.envAnalyst, tokens.defaultAnalyst]) {
      expect((await summary(token)).body.counts.received).toBe(0);
      expect((await summary(token, `&pcnCode=${PCN_P}`)).status).toBe(404);
      expect((await get<UnmetPage>('/metrics/unmet-need', token)).body.items).toEqual([]);
    }
  });

  it("gives PCN operations the services of their PCN's ICS", async () => {
    const load = await get<{ items: { serviceId: string }[] }>('/metrics/vcso-load', tokens.opsP);
    expect(load.body.items.map((s) => s.serviceId)).toEqual([serviceId]);
  });

  it("publishes the analytics twins still waiting under the PCN's ICS, keyed for it", async () => {
    await send(received(late));
    await allConsumed();
    const expectedKey = createHmac('sha256', ICS_KEY).update(late.personKey, 'utf8').digest('hex');
    const twin = await waitFor(
      () =>
        analytics.events.find((e) => (e.data as AnalyticsStatusChangedV1).personKey === expectedKey) as
          CloudEvent<AnalyticsStatusChangedV1> | undefined,
      { message: "the late referral's analytics.status-changed.v1" },
    );
    expect(twin.data).toMatchObject({ icsCode: ICS, pcnCode: PCN_P, to: 'awaiting-consent' });
  });

  it('attributes referrals arriving with the registration, in any order, to its ICS', async () => {
    const people = Array.from({ length: 20 }, () => person(PCN_Q));
    const events = people.flatMap((p) => [received(p), awaitingConsent(p)]);
    events.splice(20, 0, registered(PCN_Q, ICS, '2026-01-31T12:00:00Z'));
    await send(...events);
    await allConsumed();
    expect(await icsOfRows(PCN_Q)).toEqual([ICS]);
  });

  it('keeps the latest registration: a redelivery or an older one changes nothing', async () => {
    await send(firstRegistration, registered(PCN_P, ENV_ICS, '2026-01-29T12:00:00Z'));
    await allConsumed();
    expect(await icsOfRows(PCN_P)).toEqual([ICS]);
    const [{ n }]: { n: number }[] = await ds.query(`SELECT count(*)::int AS n FROM inbox WHERE ce_id = $1`, [
      firstRegistration.id,
    ]);
    expect(n).toBe(1);
  });

  it('stays authoritative over the environment when the service boots again', async () => {
    await app.get(IcsRemap).onApplicationBootstrap();
    expect(await icsOfRows(PCN_P)).toEqual([ICS]);
    expect((await summary(tokens.analyst)).body.counts.received).toBe(35); // 13 + 20, rounded
  });

  it('moves the PCN again when a newer registration puts it in another ICS', async () => {
    await send(registered(PCN_P, DEFAULT_ICS, '2026-02-10T12:00:00Z'));
    await allConsumed();
    expect(await icsOfRows(PCN_P)).toEqual([DEFAULT_ICS]);
    expect((await summary(tokens.defaultAnalyst, `&pcnCode=${PCN_P}`)).body.counts.received).toBe(15);
    expect((await summary(tokens.analyst, `&pcnCode=${PCN_P}`)).status).toBe(404);
  });

  it('dead-letters a registration that breaks the contract (a full postcode), and carries on', async () => {
    const dlq = await collectEvents('sp.referral.events.v1.dlq', 'commissioning-metrics-pcn-it-dlq');
    try {
      const poison = registered(PCN_Q, DEFAULT_ICS, '2026-03-01T12:00:00Z');
      const data = poison.data as PcnRegisteredV1;
      poison.data = { ...data, practices: [{ code: 'P80001', postcodeDistrict: 'LS6 1AA' }] };
      const good = person(PCN_Q);
      await publisher.publish(poison);
      await send(received(good));
      const dead = await waitFor(() => dlq.events.find((e) => e.id === poison.id), {
        message: 'the poison registration on sp.referral.events.v1.dlq',
      });
      expect(dlq.headers.get(dead.id)).toMatchObject({ dlq_consumer: h.group });
      expect(dlq.headers.get(dead.id)?.dlq_reason).toMatch(/practices\.0\.postcodeDistrict/);
      await allConsumed();
      expect(await icsOfRows(PCN_Q)).toEqual([ICS]);
    } finally {
      await dlq.stop();
    }
  });
});
