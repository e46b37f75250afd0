import { mintDevToken } from '@sp/auth';
import type { NeedCode } from '@sp/contracts';
import { collectEvents, type EventCollector, type EventPublisher } from '@sp/messaging';
import { waitFor } from '@sp/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MatchingHarness, now, testEvent as event } from './matching-harness';

import type { MatchesView } from '../src/matches/match.dto';

/**
 * Choosing services, fed with real service, capacity, referral and consent events: candidates and the
 * reasons others are left out, the automatic offer on assessment and the move to the next candidate,
 * the waitlist placed in order as places free, and unmet need.
 *
 * The topics are shared with every other spec and every earlier run, and a new consumer group reads
 * them from the beginning: each run's people and services carry an accessibility code of their own,
 * so the services of other runs never suit this run's people (and this run's assertions name ids).
 */
const PORT = 3125;
const PCN = 'U00002';
const ORG = randomUUID();
const RUN = `run-${randomBytes(4).toString('hex')}`;
const AT = { LS6: [53.82, -1.579], LS1: [53.797, -1.547], YO1: [53.959, -1.081] } as const;

interface ServiceSpec {
  needs: NeedCode[];
  district?: string;
  at?: readonly [number, number] | null;
  radiusKm?: number;
  minAge?: number;
  maxAge?: number;
  languages?: string[];
  accessibility?: string[];
  mode?: 'in-person' | 'online' | 'phone';
  maxActive?: number;
  weeklyIntake?: number;
  status?: 'open' | 'paused';
}

interface PersonSpec {
  needs: NeedCode[];
  district?: string;
  ageBand?: '18-24' | '65-74';
  language?: string;
  access?: string[];
  autoOffer?: boolean;
  urgent?: boolean;
}

describe('matching: candidates, automatic offers, the waitlist and unmet need (real stack)', () => {
  const h = new MatchingHarness({ name: 'matching-choice-it', ports: [PORT] });
  let ds: DataSource;
  let publisher: EventPublisher;
  let matchingTopic: EventCollector;
  let linkWorker: string;
  let otherPcnWorker: string;
  let coordinator: string;

  beforeAll(async () => {
    await h.start();
    ({ ds, publisher, matchingTopic } = h);
    // District centroids, as `npm run import -- postcodes` loads them (ZZ1 is left unknown on purpose).
    for (const [code, [lat, lon]] of Object.entries(AT)) {
      await ds.query(
        `INSERT INTO postcode_geography (code, kind, lat, lon) VALUES ($1, 'district', $2, $3)`,
        [code, lat, lon],
      );
    }
    linkWorker = await mintDevToken({ sub: 'lw-1', role: 'link_worker', pcn: PCN });
    otherPcnWorker = await mintDevToken({ sub: 'lw-2', role: 'link_worker', pcn: 'U00003' });
    coordinator = await mintDevToken({ sub: 'co-1', role: 'vcso_coordinator', org: ORG });
  }, 300_000);

  afterAll(() => h.stop());

  const call = async (method: 'GET' | 'POST', path: string, token: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${PORT}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  /** Registers services (service.registered.v1, then capacity.updated.v1 for a paused one). */
  async function services(...specs: ServiceSpec[]): Promise<string[]> {
    const ids = specs.map(() => randomUUID());
    const events = specs.flatMap((s, i) => {
      const at = s.at === undefined ? AT.LS6 : s.at;
      const registered = event(
        'service.registered.v1',
        {
          serviceId: ids[i],
          organisationId: ORG,
          icsCode: 'QWO',
          needs: s.needs,
          postcodeDistrict: s.district ?? 'LS6',
          locationKnown: at !== null,
          ...(at ? { lat: at[0], lon: at[1] } : {}),
          radiusKm: s.radiusKm ?? 10,
          ...(s.minAge !== undefined ? { minAge: s.minAge } : {}),
          ...(s.maxAge !== undefined ? { maxAge: s.maxAge } : {}),
          languages: s.languages ?? [],
          accessibility: s.accessibility ?? [RUN],
          mode: s.mode ?? 'in-person',
          maxActive: s.maxActive ?? 5,
          weeklyIntake: s.weeklyIntake ?? 10,
          registeredAt: now(),
        },
        ids[i],
      );
      return s.status === 'paused'
        ? [registered, capacity(ids[i], s.maxActive ?? 5, s.weeklyIntake ?? 10, 'paused')]
        : [registered];
    });
    await publisher.publish(...events);
    const pausedIds = ids.filter((_, i) => specs[i].status === 'paused');
    await waitFor(
      async () => {
        const [{ n, p }] = await ds.query(
          `SELECT count(*)::int AS n, count(*) FILTER (WHERE l.paused AND l.service_id = ANY($2))::int AS p
             FROM service_profile s JOIN service_load l USING (service_id) WHERE service_id = ANY($1)`,
          [ids, pausedIds],
        );
        return n === ids.length && p === pausedIds.length;
      },
      { message: `${ids.length} services projected` },
    );
    return ids;
  }

  const capacity = (serviceId: string, maxActive: number, weeklyIntake: number, status: 'open' | 'paused') =>
    event(
      'capacity.updated.v1',
      {
        serviceId,
        organisationId: ORG,
        maxActive,
        weeklyIntake,
        active: 0,
        reserved: 0,
        offersThisWeek: 0,
        status,
        reason: 'limits-changed',
        changedAt: new Date(Date.now() + 1000).toISOString(),
      },
      serviceId,
    );

  /** A referral received, consented (sharing with VCSOs) and assessed, as intake and consent publish them. */
  async function referral(p: PersonSpec): Promise<string> {
    const referralId = randomUUID();
    await publisher.publish(
      event(
        'referral.received.v1',
        {
          referralId,
          personKey: randomBytes(32).toString('hex'),
          pcnCode: PCN,
          practiceCode: 'P00002',
          needs: p.needs,
          ageBand: p.ageBand ?? '65-74',
          postcodeDistrict: p.district ?? 'LS6',
          ...(p.language ? { preferredLanguage: p.language } : {}),
          accessibilityNeeds: p.access ?? [RUN],
          source: 'api',
          receivedAt: now(),
        },
        referralId,
      ),
      event(
        'consent.granted.v1',
        {
          consentId: randomUUID(),
          referralId,
          pcnCode: PCN,
          method: 'verbal',
          shareWithVcso: true,
          recordedAt: now(),
        },
        referralId,
      ),
      event(
        'referral.assessed.v1',
        {
          referralId,
          pcnCode: PCN,
          needs: p.needs,
          autoOffer: p.autoOffer ?? false,
          ...(p.urgent ? { urgent: true } : {}),
          assessedAt: now(),
        },
        referralId,
      ),
    );
    await waitFor(
      async () =>
        (
          await ds.query(
            `SELECT 1 FROM referral_projection WHERE referral_id = $1 AND assessed_at IS NOT NULL AND consent = 'granted'`,
            [referralId],
          )
        ).length,
      { message: 'referral projected' },
    );
    return referralId;
  }

  const offersOf = async (
    referralId: string,
  ): Promise<{ id: string; service_id: string; status: string; auto: boolean; created_by: string }[]> =>
    ds.query(
      `SELECT id, service_id, status, auto, created_by FROM offers WHERE referral_id = $1 ORDER BY created_at`,
      [referralId],
    );
  const published = (type: string, referralId: string) =>
    matchingTopic.events.filter(
      (e) => e.type === type && (e.data as { referralId: string }).referralId === referralId,
    );

  it('ranks suitable services by their score parts and names why every other one is left out', async () => {
    const needs: NeedCode[] = ['arts-culture', 'nature'];
    const both = { languages: ['en', 'pl'], accessibility: ['step-free', RUN] };
    const [
      best,
      second,
      far,
      young,
      english,
      noAccess,
      otherNeed,
      paused,
      full,
      noIntake,
      online,
      unknownPlace,
      offered,
    ] = await services(
      { needs, ...both },
      { needs: ['arts-culture'], district: 'LS1', at: AT.LS1, ...both },
      { needs, district: 'YO1', at: AT.YO1, radiusKm: 5, ...both },
      { needs, maxAge: 30, ...both },
      { needs, languages: ['en'], accessibility: both.accessibility },
      { needs, languages: both.languages, accessibility: [RUN] },
      { needs: ['family-parenting'], ...both },
      { needs, ...both, status: 'paused' },
      { needs, ...both, maxActive: 0 },
      { needs, ...both, weeklyIntake: 0 },
      {
        needs,
        district: 'YO1',
        at: AT.YO1,
        radiusKm: 1,
        mode: 'online',
        languages: ['pl'],
        accessibility: [RUN],
      },
      { needs, district: 'ZZ1', at: null, ...both },
      { needs, ...both },
    );
    const person = await referral({ needs, language: 'pl', access: ['wheelchair', RUN] });

    // A service the link worker already offered (and the VCSO declined) is never offered again.
    const made = await call('POST', '/offers', linkWorker, { referralId: person, serviceId: offered });
    expect(made.status).toBe(201);
    expect(
      (await call('POST', `/offers/${String(made.body.id)}/decline`, coordinator, { reason: 'not-suitable' }))
        .status,
    ).toBe(200);
    // A link worker's offer that is declined goes back to the link worker: nothing automatic follows.
    expect((await offersOf(person)).map((o) => o.status)).toEqual(['declined']);

    const res = await call('GET', `/matches/${person}`, linkWorker);
    expect(res.status).toBe(200);
    const view = res.body as unknown as MatchesView;
    expect(view.locationKnown).toBe(true);
    const ranked = view.candidates
      .map((c) => c.serviceId)
      .filter((id) => [best, second, online, unknownPlace].includes(id));
    expect(ranked).toHaveLength(4);
    expect(ranked[0]).toBe(best);
    const byId = new Map(view.candidates.map((c) => [c.serviceId, c]));
    expect(byId.get(best)!.parts.needs).toMatchObject({ score: 1, covered: needs, of: 2 });
    expect(byId.get(second)!.parts.needs).toMatchObject({ score: 0.5, covered: ['arts-culture'] });
    expect(byId.get(second)!.parts.distance.km).toBeGreaterThan(2);
    expect(byId.get(second)!.parts.distance.km).toBeLessThan(4);
    expect(byId.get(best)!.score).toBeGreaterThan(byId.get(second)!.score);
    expect(byId.get(online)!.parts.distance).toMatchObject({ km: null, note: 'remote-service', score: 0.5 });
    expect(byId.get(unknownPlace)!.parts.distance).toMatchObject({
      km: null,
      note: 'service-location-unknown',
    });
    for (const c of view.candidates.filter((x) => ranked.includes(x.serviceId))) {
      const { needs: n, distance: d, load: l, fairness: f } = c.parts;
      expect(c.score).toBeCloseTo(
        n.weight * n.score + d.weight * d.score + l.weight * l.score + f.weight * f.score,
        3,
      );
    }
    const reasons = new Map(view.excluded.map((e) => [e.serviceId, e.reason]));
    expect({
      far: reasons.get(far),
      young: reasons.get(young),
      english: reasons.get(english),
      noAccess: reasons.get(noAccess),
      otherNeed: reasons.get(otherNeed),
      paused: reasons.get(paused),
      full: reasons.get(full),
      noIntake: reasons.get(noIntake),
      offered: reasons.get(offered),
    }).toEqual({
      far: 'too-far',
      young: 'age',
      english: 'language',
      noAccess: 'accessibility',
      otherNeed: 'needs',
      paused: 'paused',
      full: 'full',
      noIntake: 'weekly-intake-used',
      offered: 'already-offered',
    });

    // A district the geography table does not know: no distance filter, and the parts say so.
    const unplaced = await referral({ needs, district: 'ZZ1', language: 'pl', access: ['wheelchair', RUN] });
    const blind = (await call('GET', `/matches/${unplaced}`, linkWorker)).body as unknown as MatchesView;
    expect(blind.locationKnown).toBe(false);
    const farNow = blind.candidates.find((c) => c.serviceId === far);
    expect(farNow?.parts.distance).toMatchObject({ km: null, note: 'person-location-unknown' });

    // Scope: another PCN's link worker gets a 404, a coordinator a 403, a bad id a 400.
    expect((await call('GET', `/matches/${person}`, otherPcnWorker)).status).toBe(404);
    expect((await call('GET', `/matches/${randomUUID()}`, linkWorker)).status).toBe(404);
    expect((await call('GET', `/matches/${person}`, coordinator)).status).toBe(403);
    expect((await call('GET', `/matches/not-a-uuid`, linkWorker)).status).toBe(400);
  });

  it('offers the best candidate by itself when the assessment asks for autoOffer', async () => {
    const [near, further] = await services(
      { needs: ['money'] },
      { needs: ['money'], district: 'LS1', at: AT.LS1 },
    );
    const person = await referral({ needs: ['money'], autoOffer: true });
    const [offer] = await waitFor(
      async () => {
        const o = await offersOf(person);
        return o.length ? o : null;
      },
      { message: 'an automatic offer' },
    );
    expect(offer).toMatchObject({ service_id: near, status: 'pending', auto: true, created_by: 'matching' });
    expect(further).not.toBe(near);
    await waitFor(
      () => published('offer.made.v1', person).some((e) => (e.data as { auto: boolean }).auto === true),
      { message: 'offer.made.v1 with auto: true' },
    );
  });

  it('moves a declined automatic offer to the next candidate, never the same service twice, then reports the need unmet', async () => {
    const [first, second] = await services(
      { needs: ['housing'] },
      { needs: ['housing'], district: 'LS1', at: AT.LS1 },
    );
    const person = await referral({ needs: ['housing'], autoOffer: true });
    const initial = await waitFor(async () => (await offersOf(person))[0], {
      message: 'first automatic offer',
    });
    expect(initial.service_id).toBe(first);

    expect(
      (await call('POST', `/offers/${initial.id}/decline`, coordinator, { reason: 'no-capacity' })).status,
    ).toBe(200);
    const next = await waitFor(async () => (await offersOf(person))[1], {
      message: 'the next candidate offered',
    });
    expect(next).toMatchObject({ service_id: second, status: 'pending', auto: true });

    expect(
      (await call('POST', `/offers/${next.id}/decline`, coordinator, { reason: 'not-suitable' })).status,
    ).toBe(200);
    await waitFor(
      () =>
        published('need.unmet.v1', person).find(
          (e) => (e.data as { reason: string }).reason === 'no-suitable-service',
        ),
      { message: 'need.unmet.v1 no-suitable-service once every candidate was tried' },
    );
    const all = await offersOf(person);
    expect(all.map((o) => o.service_id)).toEqual([first, second]);
    expect(new Set(all.map((o) => o.service_id)).size).toBe(all.length);
    const unmet = published('need.unmet.v1', person)[0].data as { needs: string[]; postcodeDistrict: string };
    expect(unmet).toMatchObject({ needs: ['housing'], postcodeDistrict: 'LS6' });
  });

  it('moves an automatic offer that lapses unanswered to the next candidate', async () => {
    const [first, second] = await services(
      { needs: ['digital-inclusion'] },
      { needs: ['digital-inclusion'], district: 'LS1', at: AT.LS1 },
    );
    process.env.OFFER_EXPIRY_DAYS = String(3 / 86_400); // 3 seconds
    try {
      const person = await referral({ needs: ['digital-inclusion'], autoOffer: true });
      const lapsed = await waitFor(async () => (await offersOf(person))[0], {
        message: 'first automatic offer',
      });
      expect(lapsed.service_id).toBe(first);
      const next = await waitFor(async () => (await offersOf(person))[1], {
        timeoutMs: 20_000,
        message: 'the next candidate offered after the first lapsed',
      });
      expect(next).toMatchObject({ service_id: second, auto: true });
      expect((await offersOf(person))[0].status).toBe('expired');
    } finally {
      delete process.env.OFFER_EXPIRY_DAYS;
    }
  });

  it('waitlists referrals when nothing suitable has room, and places them in order (urgent first) as places free', async () => {
    const [only] = await services({ needs: ['employment'], maxActive: 1, weeklyIntake: 20 });
    const holder = await referral({ needs: ['employment'], autoOffer: true });
    const held = await waitFor(async () => (await offersOf(holder))[0], { message: 'the one place offered' });
    expect(held.service_id).toBe(only);

    // One at a time, so that their arrival order is known; the last is urgent.
    const queue: string[] = [];
    for (const urgent of [false, false, true]) {
      const id = await referral({ needs: ['employment'], autoOffer: false, urgent });
      await waitFor(async () => published('referral.waitlisted.v1', id).length > 0, {
        message: 'waitlisted',
      });
      queue.push(id);
    }
    const [first, second, urgent] = queue;
    for (const id of queue) {
      const unmet = published('need.unmet.v1', id);
      expect(unmet.map((e) => (e.data as { reason: string; postcodeDistrict: string }).reason)).toEqual([
        'waitlisted',
      ]);
      expect((await offersOf(id)).length).toBe(0);
    }
    const waiting = (await call('GET', `/matches/${first}`, linkWorker)).body as unknown as MatchesView;
    expect(waiting.waitlisted).toBe(true);
    expect(waiting.excluded.find((e) => e.serviceId === only)?.reason).toBe('full');

    // Completion frees the place: the urgent referral goes first.
    expect((await call('POST', `/offers/${held.id}/accept`, coordinator)).status).toBe(200);
    expect(
      (await call('POST', `/offers/${held.id}/complete`, coordinator, { outcome: 'completed' })).status,
    ).toBe(200);
    const u = await waitFor(async () => (await offersOf(urgent))[0], {
      message: 'urgent referral placed first',
    });
    expect(u).toMatchObject({ service_id: only, auto: true });
    expect((await offersOf(first)).length + (await offersOf(second)).length).toBe(0);

    // A decline frees it again: the earliest arrival is next.
    expect(
      (await call('POST', `/offers/${u.id}/decline`, coordinator, { reason: 'person-unreachable' })).status,
    ).toBe(200);
    await waitFor(async () => (await offersOf(first))[0], { message: 'first arrival placed next' });
    expect((await offersOf(second)).length).toBe(0);

    // Raising the limit opens a place: the last one waiting is placed, within the new limit.
    await publisher.publish(capacity(only, 2, 20, 'open'));
    await waitFor(async () => (await offersOf(second))[0], {
      message: 'second arrival placed after the limit rose',
    });
    const [load] = await ds.query(
      `SELECT active, reserved, max_active FROM service_load WHERE service_id = $1`,
      [only],
    );
    expect(load.active + load.reserved).toBeLessThanOrEqual(load.max_active);
    const [{ waiting: left }] = await ds.query(
      `SELECT count(*)::int AS waiting FROM referral_projection WHERE referral_id = ANY($1) AND waitlisted_at IS NOT NULL`,
      [queue],
    );
    expect(left).toBe(0);
  });

  it('absorbs a redelivered service.registered.v1 and dead-letters one that breaks the contract', async () => {
    const dlq = await collectEvents('sp.capacity.events.v1.dlq', 'matching-choice-it-dlq');
    try {
      const registered = (serviceId: string, radiusKm: number) =>
        event(
          'service.registered.v1',
          {
            serviceId,
            organisationId: ORG,
            icsCode: 'QWO',
            needs: ['long-term-condition'],
            postcodeDistrict: 'LS6',
            locationKnown: false,
            radiusKm,
            languages: [],
            accessibility: [RUN],
            mode: 'in-person',
            maxActive: 3,
            weeklyIntake: 3,
            registeredAt: now(),
          },
          serviceId,
        );
      const [twice, poisoned, after] = [randomUUID(), randomUUID(), randomUUID()];
      const first = registered(twice, 7);
      // The same ce_id again, even with other data, is the same event: the inbox absorbs it.
      const again = { ...first, data: { ...(first.data as object), radiusKm: 99 } };
      const poison = registered(poisoned, 5);
      poison.data = { ...(poison.data as object), postcodeDistrict: 'LS6 1AA' };
      await publisher.publish(first, again, poison, registered(after, 5));
      const dead = await waitFor(() => dlq.events.find((e) => e.id === poison.id), {
        message: 'the poison event on sp.capacity.events.v1.dlq',
      });
      expect(dlq.headers.get(dead.id)?.dlq_reason).toMatch(/postcodeDistrict/);
      await waitFor(
        async () => (await ds.query(`SELECT 1 FROM service_profile WHERE service_id = $1`, [after])).length,
        { message: 'the event after the poison projected' },
      );
      const rows: { service_id: string; radius_km: number }[] = await ds.query(
        `SELECT service_id, radius_km FROM service_profile WHERE service_id = ANY($1)`,
        [[twice, poisoned]],
      );
      expect(rows).toEqual([{ service_id: twice, radius_km: 7 }]);
    } finally {
      await dlq.stop();
    }
  });

  it('publishes unmet need when no service suits the person at all', async () => {
    const person = await referral({ needs: ['bereavement'], district: 'LS1' });
    const unmet = await waitFor(() => published('need.unmet.v1', person)[0], {
      message: 'need.unmet.v1 published',
    });
    expect(unmet.data).toMatchObject({
      referralId: person,
      pcnCode: PCN,
      needs: ['bereavement'],
      postcodeDistrict: 'LS1',
      reason: 'no-suitable-service',
    });
    expect(published('referral.waitlisted.v1', person)).toHaveLength(0);
  });
});
