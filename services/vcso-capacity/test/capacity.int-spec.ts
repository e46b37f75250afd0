import type { INestApplication } from '@nestjs/common';
import { mintDevToken, type AuthClaims } from '@sp/auth';
import { validateEvent, type CloudEvent, type EventData, type EventType } from '@sp/contracts';
import { bootstrapService } from '@sp/platform';
import { startConsumerGroupAtEnd } from '@sp/messaging';
import { callJson, createTestDatabase, uniqueName, waitFor } from '@sp/testing';
import Redis from 'ioredis';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { CapacityQueue } from '../src/capacity/capacity-queue';
import { CapacityService } from '../src/capacity/capacity.service';
import { Clock } from '../src/common/clock';
import { nextLondonWeekStart } from '../src/common/london-time';
import { importPostcodes } from '../src/geography/postcode-import';
import {
  collectEvents,
  createEventPublisher,
  type EventCollector,
  type EventPublisher,
} from './kafka-events';

/**
 * vcso-capacity in-process on a test port with its own database, consumer group and BullMQ queue, fed
 * real offer events on sp.matching.events.v1 (as matching's relay would publish them), and read back
 * from sp.capacity.events.v1.
 */
const PORT = 3114;
const BASE = `http://127.0.0.1:${PORT}/api/v1`;
const QUEUE = uniqueName('vcso_capacity_it');
const PCN = 'U00001';

interface Problem {
  status: number;
  detail?: string;
  errors?: { field: string; message: string }[];
}
interface Load {
  active: number;
  reserved: number;
  maxActive: number;
  utilisation: number;
  offersThisWeek: number;
  weeklyIntake: number;
  status: string;
}
interface ServiceBody {
  id: string;
  organisationId: string;
  name: string;
  needs: string[];
  postcode: string;
  district: string;
  maxActive: number;
  locationKnown: boolean;
  distanceKm?: number | null;
  distanceUnknown?: boolean;
  pausedUntil: string | null;
  pauseReason: string | null;
  load: Load;
}
interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
  nearKnown?: boolean;
}
type CapacityData = EventData<'capacity.updated.v1'>;

let app: INestApplication;
let ds: DataSource;
let dbUrl: string;
let dropDb: () => Promise<void>;
let publisher: EventPublisher;
let capacityTopic: EventCollector;
const tokens: Record<string, string> = {};
const savedEnv = { ...process.env };
let orgA: string;
let orgB: string;

async function boot(): Promise<void> {
  const { AppModule } = await import('../src/app.module');
  const { MIGRATIONS } = await import('../src/migrations');
  app = await bootstrapService({
    service: 'vcso-capacity',
    module: AppModule,
    title: 'VCSO capacity service',
    migrations: MIGRATIONS,
    port: PORT,
  });
  ds = app.get(DataSource);
}

const call = <T = unknown>(
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  token: string | undefined,
  body?: unknown,
) => callJson<T>(BASE, method, path, token, body);

function serviceBody(organisationId: string, over: Record<string, unknown> = {}) {
  return {
    organisationId,
    name: `Walk and talk ${randomUUID().slice(0, 6)}`,
    needs: ['loneliness', 'physical-activity'],
    postcode: 'LS1 4AP',
    radiusKm: 10,
    minAge: 18,
    languages: ['en'],
    accessibility: ['step-free'],
    mode: 'in-person',
    maxActive: 10,
    weeklyIntake: 20,
    ...over,
  };
}

async function createService(over: Record<string, unknown> = {}, org = orgA): Promise<ServiceBody> {
  const res = await call<ServiceBody & Problem>('POST', '/services', tokens.ops, serviceBody(org, over));
  expect(res.status).toBe(201);
  return res.body;
}

const getService = async (id: string) => (await call<ServiceBody>('GET', `/services/${id}`, tokens.lw)).body;

/** An offer event as matching's relay would publish it (keyed by referral, as the catalogue says). */
function offerEvent<T extends EventType>(type: T, data: EventData<T>): CloudEvent {
  const referralId = (data as { referralId: string }).referralId;
  return {
    id: randomUUID(),
    type,
    source: 'matching',
    specversion: '1.0',
    time: new Date().toISOString(),
    subject: referralId,
    datacontenttype: 'application/json',
    data,
  };
}

interface Offer {
  offerId: string;
  referralId: string;
  serviceId: string;
  organisationId: string;
  pcnCode: string;
}

function offer(svc: ServiceBody): Offer {
  return {
    offerId: randomUUID(),
    referralId: randomUUID(),
    serviceId: svc.id,
    organisationId: svc.organisationId,
    pcnCode: PCN,
  };
}

const now = () => new Date().toISOString();
const made = (o: Offer) =>
  offerEvent('offer.made.v1', {
    ...o,
    auto: false,
    expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    madeAt: now(),
  });
const accepted = (o: Offer) => offerEvent('offer.accepted.v1', { ...o, at: now() });
const declined = (o: Offer) => offerEvent('offer.declined.v1', { ...o, reason: 'not-suitable', at: now() });
const cancelled = (o: Offer) =>
  offerEvent('offer.cancelled.v1', { ...o, reason: 'consent-withdrawn', at: now() });
const completed = (o: Offer) => offerEvent('offer.completed.v1', { ...o, outcome: 'completed', at: now() });

/** Distinct events (by ce_id: a redelivery is the same event) about a service, in topic order. */
function eventsOf(serviceId: string, type?: string): CloudEvent[] {
  const seen = new Set<string>();
  return capacityTopic.events.filter((e) => {
    if (e.subject !== serviceId || (type && e.type !== type) || seen.has(e.id)) return false;
    seen.add(e.id);
    return true;
  });
}
const updates = (serviceId: string) =>
  eventsOf(serviceId, 'capacity.updated.v1').map((e) => e.data as CapacityData);

/** Waits for a capacity.updated.v1 about the service matching `pred`. */
const updateWhere = (serviceId: string, pred: (d: CapacityData) => boolean, message: string) =>
  waitFor(() => updates(serviceId).find(pred), { message: `${message} on sp.capacity.events.v1` });

beforeAll(async () => {
  const name = uniqueName('vcso_capacity_it');
  const db = await createTestDatabase(name);
  dropDb = db.drop;
  dbUrl = db.url;
  process.env.VCSO_CAPACITY_DATABASE_URL = db.url;
  process.env.SP_CONSUMER_GROUP = 'vcso-capacity-it';
  // Start at the topic's end: the suite consumes what it publishes, not every earlier suite's events.
  await startConsumerGroupAtEnd(process.env.SP_CONSUMER_GROUP, ['sp.matching.events.v1']);
  process.env.CAPACITY_QUEUE_NAME = QUEUE;
  // Three seconds of strain raises the early warning here (the default is a week).
  process.env.CAPACITY_ALERT_AFTER_MINUTES = '0.05';
  capacityTopic = await collectEvents('sp.capacity.events.v1', 'vcso-capacity-it-collector');
  publisher = await createEventPublisher('vcso-capacity-it-publisher');
  await boot();

  const ops: AuthClaims = { sub: 'ops-1', role: 'pcn_ops', pcn: PCN };
  tokens.ops = await mintDevToken(ops);
  tokens.admin = await mintDevToken({ sub: 'admin-1', role: 'admin' });
  tokens.lw = await mintDevToken({ sub: 'lw-1', role: 'link_worker', pcn: PCN });
  const a = await call<{ id: string }>('POST', '/organisations', tokens.ops, {
    name: 'Leeds Walkers',
    icsCode: 'QWO',
    charityNumber: '1234567',
    contactEmail: 'hello@walkers.example',
  });
  const b = await call<{ id: string }>('POST', '/organisations', tokens.admin, {
    name: 'Bradford Singers',
    icsCode: 'QWO',
    contactEmail: 'sing@singers.example',
  });
  orgA = a.body.id;
  orgB = b.body.id;
  tokens.coordA = await mintDevToken({ sub: 'coord-a', role: 'vcso_coordinator', org: orgA });
  tokens.coordB = await mintDevToken({ sub: 'coord-b', role: 'vcso_coordinator', org: orgB });
}, 120000);

afterAll(async () => {
  await app?.close();
  await publisher?.close();
  await capacityTopic?.stop();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const keys = await redis.keys(`bull:${QUEUE}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await dropDb?.();
  process.env = savedEnv;
});

describe('the service', () => {
  it('is ready, and documents its routes', async () => {
    expect((await fetch(`http://127.0.0.1:${PORT}/health`)).status).toBe(200);
    const doc = (await (await fetch(`http://127.0.0.1:${PORT}/docs/json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(doc.paths['/api/v1/organisations']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/v1/services']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/v1/services/{id}/capacity'])).toEqual(['put']);
    expect(Object.keys(doc.paths['/api/v1/services/{id}/activity'])).toEqual(['get']);
  });
});

describe('directory', () => {
  it('creates and lists organisations for the PCN and admin only', async () => {
    const list = await call<Page<{ id: string; name: string; contactEmail: string }>>(
      'GET',
      '/organisations?pageSize=100',
      tokens.ops,
    );
    expect(list.status).toBe(200);
    expect(list.body.items.map((o) => o.id)).toEqual(expect.arrayContaining([orgA, orgB]));
    expect(list.body.items.find((o) => o.id === orgA)).toMatchObject({
      name: 'Leeds Walkers',
      icsCode: 'QWO',
      charityNumber: '1234567',
      contactEmail: 'hello@walkers.example',
    });
    expect((await call('GET', '/organisations', tokens.coordA)).status).toBe(403);
    expect((await call('GET', '/organisations', undefined)).status).toBe(401);
    const bad = await call<Problem>('POST', '/organisations', tokens.ops, {
      name: '',
      icsCode: 'nope',
      contactEmail: 'not-an-email',
      notes: 'free text',
    });
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
    expect([...new Set(bad.body.errors!.map((e) => e.field))].sort()).toEqual([
      'contactEmail',
      'icsCode',
      'name',
      'notes',
    ]);
  });

  it('creates a service with its load, readable by any signed-in role; publishes its limits', async () => {
    const svc = await createService();
    expect(svc).toMatchObject({
      organisationId: orgA,
      needs: ['loneliness', 'physical-activity'],
      postcode: 'LS1 4AP',
      district: 'LS1',
      mode: 'in-person',
      maxActive: 10,
      weeklyIntake: 20,
      load: {
        active: 0,
        reserved: 0,
        maxActive: 10,
        utilisation: 0,
        offersThisWeek: 0,
        weeklyIntake: 20,
        status: 'open',
      },
    });
    expect(svc.id).toMatch(/^[0-9a-f-]{36}$/);
    const read = await call<ServiceBody>('GET', `/services/${svc.id}`, tokens.coordB);
    expect(read.status).toBe(200);
    expect(read.body.load.status).toBe('open');
    expect((await call('GET', `/services/${randomUUID()}`, tokens.lw)).status).toBe(404);
    expect((await call('POST', '/services', tokens.coordA, serviceBody(orgA))).status).toBe(403);

    const ev = await updateWhere(svc.id, () => true, 'the new service’s capacity.updated.v1');
    expect(ev).toMatchObject({ serviceId: svc.id, organisationId: orgA, maxActive: 10, status: 'open' });
    const raw = eventsOf(svc.id)[0];
    expect(validateEvent(raw)).toEqual([]);
    expect(JSON.stringify(raw)).not.toContain('LS1 4AP');
  });

  it('refuses bad service bodies with 400 naming each field, and writes nothing', async () => {
    const [{ n: servicesBefore }]: { n: number }[] = await ds.query(
      `SELECT count(*)::int AS n FROM vcso_services`,
    );
    const bad = await call<Problem>('POST', '/services', tokens.ops, {
      organisationId: 'x',
      name: 'A',
      needs: ['astrology'],
      postcode: 'not a postcode',
      radiusKm: -1,
      mode: 'carrier-pigeon',
      maxActive: 1.5,
      weeklyIntake: -2,
      contactEmail: 'a@b.c',
    });
    expect(bad.status).toBe(400);
    expect([...new Set(bad.body.errors!.map((e) => e.field))].sort()).toEqual([
      'contactEmail',
      'maxActive',
      'mode',
      'needs',
      'organisationId',
      'postcode',
      'radiusKm',
      'weeklyIntake',
    ]);
    const noOrg = await call<Problem>('POST', '/services', tokens.ops, serviceBody(randomUUID()));
    expect(noOrg.status).toBe(400);
    expect(noOrg.body.errors!.map((e) => e.field)).toEqual(['organisationId']);
    const [{ n }]: { n: number }[] = await ds.query(`SELECT count(*)::int AS n FROM vcso_services`);
    expect(n).toBe(servicesBefore);
  });
});

describe('geography', () => {
  it('loads districts through the CLI, and filters by distance with known and unknown postcodes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vcso-geo-'));
    const file = join(dir, 'districts.csv');
    writeFileSync(
      file,
      [
        'pcd,name,lat,long',
        'LS1,"Leeds, centre",53.7965,-1.5478',
        'ls6,Headingley,53.8196,-1.5794',
        'M1,Manchester,53.4794,-2.2453',
        'XX,bad,1,1',
        'BD1,no grid,99.999999,0',
      ].join('\n'),
    );
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['-r', '@swc-node/register', 'scripts/import.ts', 'postcodes', file],
      { cwd: join(__dirname, '../../..'), env: { ...process.env, VCSO_CAPACITY_DATABASE_URL: dbUrl } },
    );
    expect(stdout).toContain('postcodes: 5 rows, 3 loaded, 2 rejected');
    expect(stdout).toContain('line 5: not a UK postcode or district');
    expect(stdout).toContain('line 6: no usable latitude/longitude');
    // A full postcode is finer than its district, and wins over it.
    await importPostcodes(ds, Readable.from(['postcode,latitude,longitude\nLS1 4AP,53.8001,-1.5500\n']));

    const tag = randomUUID().slice(0, 6);
    const leeds = await createService({ name: `Leeds ${tag}`, needs: ['housing'] });
    const leedsDistrict = await createService({
      name: `Leeds district ${tag}`,
      needs: ['housing'],
      postcode: 'LS1',
    });
    const manchester = await createService({
      name: `Manchester ${tag}`,
      needs: ['housing'],
      postcode: 'M1 1AE',
    });
    const nowhere = await createService({ name: `Nowhere ${tag}`, needs: ['housing'], postcode: 'ZZ9 9ZZ' });
    expect(leeds.locationKnown).toBe(true);
    expect(manchester.locationKnown).toBe(true);
    expect(nowhere.locationKnown).toBe(false);
    // Matching hears the settings it matches on, with a coarse place and never the venue's postcode.
    const registered = await waitFor(() => eventsOf(leeds.id, 'service.registered.v1')[0], {
      message: 'service.registered.v1',
    });
    expect(validateEvent(registered)).toEqual([]);
    expect(registered.data).toEqual({
      serviceId: leeds.id,
      organisationId: orgA,
      icsCode: 'QWO',
      needs: ['housing'],
      postcodeDistrict: 'LS1',
      locationKnown: true,
      lat: 53.8,
      lon: -1.55,
      radiusKm: 10,
      minAge: 18,
      languages: ['en'],
      accessibility: ['step-free'],
      mode: 'in-person',
      maxActive: 10,
      weeklyIntake: 20,
      registeredAt: expect.any(String),
    });
    expect(JSON.stringify(registered)).not.toMatch(/LS1 4AP|walkers\.example/);
    const unplaced = await waitFor(() => eventsOf(nowhere.id, 'service.registered.v1')[0], {
      message: 'service.registered.v1 for the unknown place',
    });
    expect(unplaced.data).toMatchObject({ postcodeDistrict: 'ZZ9', locationKnown: false });
    expect(unplaced.data).not.toHaveProperty('lat');
    // The registration comes before the service's first capacity.updated.v1 (same key, same partition).
    expect(eventsOf(nowhere.id).map((e) => e.type)).toEqual(['service.registered.v1', 'capacity.updated.v1']);

    const near = await call<Page<ServiceBody>>(
      'GET',
      '/services?need=housing&near=LS6%203HN&radiusKm=10',
      tokens.lw,
    );
    expect(near.status).toBe(200);
    expect(near.body.nearKnown).toBe(true);
    // Nearest first; the one that cannot be measured is kept, last; Manchester is out of reach.
    expect(near.body.items.map((s) => s.id)).toEqual([leeds.id, leedsDistrict.id, nowhere.id]);
    const byId = new Map(near.body.items.map((s) => [s.id, s]));
    expect(byId.get(leeds.id)!.distanceKm).toBeCloseTo(2.9, 0);
    expect(byId.get(leeds.id)!.distanceKm).not.toBe(byId.get(leedsDistrict.id)!.distanceKm);
    expect(byId.get(nowhere.id)).toMatchObject({ distanceKm: null, distanceUnknown: true });

    // Wider: Manchester (about 57 km from Headingley) comes in, nearest first, the unmeasurable last.
    const wide = await call<Page<ServiceBody>>(
      'GET',
      '/services?need=housing&near=LS6&radiusKm=100',
      tokens.lw,
    );
    expect(wide.body.items.map((s) => s.id)).toEqual([leeds.id, leedsDistrict.id, manchester.id, nowhere.id]);
    expect(wide.body.items[2].distanceKm).toBeGreaterThan(40);

    // A near postcode nobody knows cannot filter anything: every service says so.
    const unknownNear = await call<Page<ServiceBody>>('GET', '/services?need=housing&near=ZZ1', tokens.lw);
    expect(unknownNear.body.nearKnown).toBe(false);
    expect(unknownNear.body.items.every((s) => s.distanceUnknown === true && s.distanceKm === null)).toBe(
      true,
    );
    expect(unknownNear.body.total).toBeGreaterThanOrEqual(4);

    const bad = await call<Problem>('GET', '/services?near=nowhere&radiusKm=-3&need=x', tokens.lw);
    expect(bad.status).toBe(400);
    expect(bad.body.errors!.map((e) => e.field).sort()).toEqual(['near', 'need', 'radiusKm']);
    const radiusAlone = await call<Problem>('GET', '/services?radiusKm=5', tokens.lw);
    expect(radiusAlone.body.errors!.map((e) => e.field)).toEqual(['radiusKm']);
  });
});

describe('capacity controls', () => {
  it('lets the service’s own coordinator and the PCN change limits; 404 for another organisation', async () => {
    const svc = await createService();
    const mine = await call<ServiceBody>('PUT', `/services/${svc.id}/capacity`, tokens.coordA, {
      maxActive: 4,
      weeklyIntake: 3,
    });
    expect(mine.status).toBe(200);
    expect(mine.body.load).toMatchObject({ maxActive: 4, weeklyIntake: 3, status: 'open' });
    await updateWhere(svc.id, (d) => d.maxActive === 4 && d.reason === 'limits-changed', 'the new limits');

    const other = await call<Problem>('PUT', `/services/${svc.id}/capacity`, tokens.coordB, { maxActive: 1 });
    expect(other.status).toBe(404);
    expect(
      (await call('PUT', `/services/${randomUUID()}/capacity`, tokens.coordA, { maxActive: 1 })).status,
    ).toBe(404);
    expect((await call('PUT', `/services/${svc.id}/capacity`, tokens.lw, { maxActive: 1 })).status).toBe(403);
    const pcn = await call<ServiceBody>('PUT', `/services/${svc.id}/capacity`, tokens.ops, { maxActive: 5 });
    expect(pcn.body.load.maxActive).toBe(5);
    expect((await getService(svc.id)).maxActive).toBe(5);

    const bad = await call<Problem>('PUT', `/services/${svc.id}/capacity`, tokens.coordA, {
      maxActive: -1,
      status: 'closed',
      reason: 'Mrs Smith is ill',
      reopenOn: 'tomorrow',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors!.map((e) => e.field).sort()).toEqual([
      'maxActive',
      'reason',
      'reopenOn',
      'status',
    ]);
    const past = await call<Problem>('PUT', `/services/${svc.id}/capacity`, tokens.coordA, {
      status: 'paused',
      reopenOn: '2020-01-01',
    });
    expect(past.body.errors).toEqual([{ field: 'reopenOn', message: 'reopenOn must be in the future' }]);
    expect((await getService(svc.id)).load.status).toBe('open');
  });

  it('pauses by hand and resumes, announcing throttled and reopened', async () => {
    const svc = await createService();
    const paused = await call<ServiceBody>('PUT', `/services/${svc.id}/capacity`, tokens.coordA, {
      status: 'paused',
      reason: 'volunteer-shortage',
    });
    expect(paused.body.load.status).toBe('paused');
    expect(paused.body.pauseReason).toBe('volunteer-shortage');
    await waitFor(() => eventsOf(svc.id, 'service.throttled.v1')[0], { message: 'service.throttled.v1' });
    const resumed = await call<ServiceBody>('PUT', `/services/${svc.id}/capacity`, tokens.coordA, {
      status: 'open',
    });
    expect(resumed.body.load.status).toBe('open');
    expect(resumed.body.pauseReason).toBeNull();
    await waitFor(() => eventsOf(svc.id, 'service.reopened.v1')[0], { message: 'service.reopened.v1' });
    expect(updates(svc.id).map((d) => [d.status, d.reason])).toEqual([
      ['open', 'limits-changed'],
      ['paused', 'coordinator-paused'],
      ['open', 'coordinator-resumed'],
    ]);
    // The free-text-free reason code stays in the service: events carry only change codes.
    expect(JSON.stringify(eventsOf(svc.id))).not.toContain('volunteer-shortage');
  });
});

describe('ordering', () => {
  it('publishes each of 12 racing changes once, in the order they were applied', async () => {
    const svc = await createService({ maxActive: 50 });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call<ServiceBody>('PUT', `/services/${svc.id}/capacity`, i % 2 ? tokens.coordA : tokens.ops, {
          maxActive: 100 + i,
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    await waitFor(() => updates(svc.id).length >= 13, { message: '13 capacity.updated.v1 for the service' });
    const seen = updates(svc.id).slice(1);
    // Each change exactly once...
    expect(seen.map((d) => d.maxActive).sort()).toEqual(Array.from({ length: 12 }, (_, i) => 100 + i));
    // ...in the order the row lock let them through: the last published is what the row holds.
    const times = seen.map((d) => d.changedAt);
    expect([...times].sort()).toEqual(times);
    expect((await getService(svc.id)).maxActive).toBe(seen[seen.length - 1].maxActive);
  });
});

describe('load from offer events', () => {
  it('dead-letters an offer event that breaks the contract, and carries on', async () => {
    const dlq = await collectEvents('sp.matching.events.v1.dlq', 'vcso-capacity-it-dlq');
    try {
      const svc = await createService();
      const poison = made(offer(svc));
      poison.data = { ...(poison.data as object), serviceId: 'not-a-service' };
      await publisher.publish(poison, made(offer(svc)));
      await waitFor(() => dlq.events.find((e) => e.id === poison.id), {
        message: 'the poison event on sp.matching.events.v1.dlq',
      });
      // Other services' groups may dead-letter it too: this service's inbox says it was this one.
      const inboxRow = async () => {
        const rows: { status: string; reason: string }[] = await ds.query(
          `SELECT status, reason FROM inbox WHERE consumer = 'vcso-capacity-it' AND ce_id = $1`,
          [poison.id],
        );
        return rows[0];
      };
      const row = await waitFor(inboxRow, { message: 'the poison event recorded as dead-lettered' });
      expect(row.status).toBe('dead-lettered');
      expect(row.reason).toMatch(/serviceId/);
      await updateWhere(svc.id, (d) => d.reserved === 1, 'the good offer after the poison one');
    } finally {
      await dlq.stop();
    }
  });

  it('moves open -> limited -> full -> open as offers are made and released, each change once and in order', async () => {
    const svc = await createService({ maxActive: 10, weeklyIntake: 20 });
    const offers = Array.from({ length: 10 }, () => offer(svc));
    // 8 of 10 is below the 0.85 threshold; the 9th makes it limited, the 10th full.
    await publisher.publish(...offers.slice(0, 8).map(made));
    await updateWhere(svc.id, (d) => d.reserved === 8, 'eight reservations');
    expect((await getService(svc.id)).load).toMatchObject({
      reserved: 8,
      offersThisWeek: 8,
      status: 'open',
      utilisation: 0.8,
    });

    const ninth = made(offers[8]);
    await publisher.publish(ninth);
    await updateWhere(svc.id, (d) => d.status === 'limited', 'limited');
    // A redelivery of the ninth offer (same ce_id) changes nothing.
    await publisher.publish(ninth, made(offers[9]));
    await updateWhere(svc.id, (d) => d.status === 'full', 'full');
    // One at a time: offers about different referrals travel on different partitions.
    for (const ev of [accepted(offers[0]), declined(offers[1]), cancelled(offers[2]), completed(offers[0])]) {
      const count = updates(svc.id).length;
      await publisher.publish(ev);
      await waitFor(() => updates(svc.id).length > count, { message: `the update after ${ev.type}` });
    }
    const load = (await getService(svc.id)).load;
    expect(load).toMatchObject({ active: 0, reserved: 7, offersThisWeek: 10, status: 'open' });

    const seen = updates(svc.id);
    expect(seen.map((d) => [d.reserved, d.active, d.status])).toEqual([
      [0, 0, 'open'],
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => [n, 0, 'open']),
      [9, 0, 'limited'],
      [10, 0, 'full'],
      [9, 1, 'full'],
      [8, 1, 'limited'],
      [7, 1, 'open'],
      [7, 0, 'open'],
    ]);
    // changedAt never goes backwards within a service.
    const times = seen.map((d) => d.changedAt);
    expect([...times].sort()).toEqual(times);
    expect(
      eventsOf(svc.id, 'service.throttled.v1').map((e) => (e.data as { status: string }).status),
    ).toEqual(['limited', 'full', 'limited']);
    await waitFor(() => eventsOf(svc.id, 'service.reopened.v1').length === 1, {
      message: 'one service.reopened.v1',
    });
    expect(capacityTopic.malformed).toEqual([]);
    for (const ev of eventsOf(svc.id)) expect(validateEvent(ev)).toEqual([]);

    const activity = await call<{ thisWeek: Record<string, number>; thisMonth: Record<string, number> }>(
      'GET',
      `/services/${svc.id}/activity`,
      tokens.coordA,
    );
    expect(activity.status).toBe(200);
    expect(activity.body.thisWeek).toMatchObject({
      offered: 10,
      accepted: 1,
      declined: 1,
      completed: 1,
      cancelled: 1,
    });
    expect(activity.body.thisMonth.offered).toBe(10);
    expect((await call('GET', `/services/${svc.id}/activity`, tokens.coordB)).status).toBe(404);
    expect((await call('GET', `/services/${svc.id}/activity`, tokens.lw)).status).toBe(403);
  });

  it('is full when the week’s intake is used, and after maxActive is lowered below the load', async () => {
    const svc = await createService({ maxActive: 10, weeklyIntake: 2 });
    const [a, b] = [offer(svc), offer(svc)];
    await publisher.publish(made(a), made(b));
    await updateWhere(svc.id, (d) => d.offersThisWeek === 2 && d.status === 'full', 'full on weekly intake');

    const other = await createService({ maxActive: 10, weeklyIntake: 10 });
    const offers = [offer(other), offer(other), offer(other)];
    await publisher.publish(...offers.map(made));
    await updateWhere(other.id, (d) => d.reserved === 3, 'three reservations');
    const lowered = await call<ServiceBody>('PUT', `/services/${other.id}/capacity`, tokens.coordA, {
      maxActive: 2,
    });
    // Nobody is evicted: three stay reserved, and no one new comes.
    expect(lowered.body.load).toMatchObject({ reserved: 3, maxActive: 2, status: 'full', utilisation: 1.5 });
  });

  it('raises the early warning once for a service that stays limited or full', async () => {
    const svc = await createService({ maxActive: 1, weeklyIntake: 5 });
    await publisher.publish(made(offer(svc)));
    await updateWhere(svc.id, (d) => d.status === 'full', 'full');
    const alert = await waitFor(() => eventsOf(svc.id, 'capacity.alert-raised.v1')[0], {
      message: 'capacity.alert-raised.v1',
    });
    expect(alert.data).toMatchObject({ serviceId: svc.id, organisationId: orgA, status: 'full' });
    expect(validateEvent(alert)).toEqual([]);
    // Still the same episode after another change: no second alert.
    await call('PUT', `/services/${svc.id}/capacity`, tokens.ops, { weeklyIntake: 6 });
    await updateWhere(svc.id, (d) => d.weeklyIntake === 6, 'the new intake');
    const [{ alerted }]: { alerted: Date | null }[] = await ds.query(
      `SELECT alerted_at AS alerted FROM vcso_services WHERE id = $1`,
      [svc.id],
    );
    expect(alerted).not.toBeNull();
    expect(eventsOf(svc.id, 'capacity.alert-raised.v1')).toHaveLength(1);
  });
});

describe('pause with automatic reopening', () => {
  it('reopens by itself across a restart with Redis emptied, including a reopen already due at boot', async () => {
    const later = await createService();
    const due = await createService();
    // And a service just gone full, whose early warning (3 s here) falls due while the service is down.
    const strained = await createService({ maxActive: 1 });
    await publisher.publish(made(offer(strained)));
    await updateWhere(strained.id, (d) => d.status === 'full', 'full');
    const reopenLater = new Date(Date.now() + 10000);
    const reopenSoon = new Date(Date.now() + 3000);
    for (const [svc, at] of [
      [later, reopenLater],
      [due, reopenSoon],
    ] as const) {
      const res = await call<ServiceBody>('PUT', `/services/${svc.id}/capacity`, tokens.coordA, {
        status: 'paused',
        reason: 'holiday',
        reopenOn: at.toISOString(),
      });
      expect(res.status).toBe(200);
      expect(res.body.pausedUntil).toBe(at.toISOString());
    }
    // The service goes down before either pause ends. Its queue stops taking jobs at once, so nothing
    // due during the (slow, Kafka-bound) shutdown runs before the restart.
    await app.get(CapacityQueue).queue.pause();
    expect(Date.now()).toBeLessThan(reopenSoon.getTime());
    await app.close();
    const pg = new Client({ connectionString: dbUrl });
    await pg.connect();
    const { rows } = await pg.query<{ alerted: Date | null }>(
      `SELECT alerted_at AS alerted FROM vcso_services WHERE id = $1`,
      [strained.id],
    );
    await pg.end();
    expect(rows).toEqual([{ alerted: null }]);
    // Redis keeps nothing on disk here: a Redis restart loses every delayed job.
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const keys = await redis.keys(`bull:${QUEUE}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    redis.disconnect();
    // The short pause ends while the service is down.
    await waitFor(() => Date.now() > reopenSoon.getTime() + 200, { message: 'the short pause to end' });
    await boot();

    await waitFor(() => eventsOf(strained.id, 'capacity.alert-raised.v1')[0], {
      message: 'the early warning re-armed from Postgres',
    });
    // Boot armed the next week rollover too.
    const weekStart = nextLondonWeekStart(new Date()).getTime();
    const redisAfter = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    expect(await redisAfter.exists(`bull:${QUEUE}:week-rollover_${weekStart}`)).toBe(1);
    redisAfter.disconnect();
    const pause = await updateWhere(later.id, (d) => d.status === 'paused', 'the pause');
    expect(pause.pausedUntil).toBe(reopenLater.toISOString());
    await updateWhere(
      due.id,
      (d) => d.status === 'open' && d.reason === 'scheduled-reopen',
      'the due reopen',
    );
    expect(Date.now()).toBeLessThan(reopenLater.getTime());
    expect((await getService(later.id)).load.status).toBe('paused');
    await waitFor(() => eventsOf(later.id, 'service.reopened.v1')[0], {
      message: 'the later reopen after restart',
      timeoutMs: 30000,
    });
    expect(Date.now()).toBeGreaterThanOrEqual(reopenLater.getTime());
    expect(await getService(later.id)).toMatchObject({ pausedUntil: null, load: { status: 'open' } });
    expect(updates(later.id).filter((d) => d.reason === 'scheduled-reopen')).toHaveLength(1);
  });
});

describe('week rollover', () => {
  it('zeroes the weekly count when the London week turns over, reopening a service full on intake', async () => {
    const svc = await createService({ maxActive: 10, weeklyIntake: 1 });
    await publisher.publish(made(offer(svc)));
    await updateWhere(svc.id, (d) => d.status === 'full' && d.offersThisWeek === 1, 'full on intake');
    const clock = app.get(Clock);
    try {
      clock.travelTo(new Date(nextLondonWeekStart(new Date()).getTime() + 60_000));
      // A read already shows the new week...
      expect((await getService(svc.id)).load).toMatchObject({ offersThisWeek: 0, status: 'open' });
      // ...and the rollover job publishes it.
      expect(await app.get(CapacityService).rollWeek()).toBeGreaterThanOrEqual(1);
      await updateWhere(
        svc.id,
        (d) => d.reason === 'week-rolled-over' && d.offersThisWeek === 0,
        'the rollover',
      );
      await waitFor(() => eventsOf(svc.id, 'service.reopened.v1')[0], { message: 'reopened at rollover' });
      // Rolling again changes nothing.
      const before = updates(svc.id).length;
      await app.get(CapacityService).rollWeek();
      expect(updates(svc.id)).toHaveLength(before);
    } finally {
      clock.reset();
    }
  });
});
