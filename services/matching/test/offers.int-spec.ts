import { mintDevToken } from '@sp/auth';
import { EVENT_EXAMPLES, type CloudEvent } from '@sp/contracts';
import type { EventCollector, EventPublisher } from '@sp/messaging';
import { waitFor } from '@sp/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { MatchingHarness, now, testEvent as event } from './matching-harness';

// The races below send hundreds of requests with one token: per-token rate limits would be the
// first thing to give, not the places.
process.env.RATE_LIMIT_PER_MINUTE = '0';

/**
 * Matching in two instances on one database, fed with real referral, consent and capacity events:
 * invariant 3 under a race of concurrent offers, and invariant 2 (no offer without consent to share;
 * a withdrawal cancels open offers and frees their places).
 */
const PORTS = [3123, 3124];
const PCN = 'U00001';
const ORG = randomUUID();
const OTHER_ORG = randomUUID();

const referralEvents = (referralId: string, share = true): CloudEvent[] => [
  event(
    'referral.received.v1',
    {
      ...EVENT_EXAMPLES['referral.received.v1'],
      referralId,
      pcnCode: PCN,
      practiceCode: 'P00001',
      personKey: randomBytes(32).toString('hex'),
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
      shareWithVcso: share,
      recordedAt: now(),
    },
    referralId,
  ),
  event(
    'referral.assessed.v1',
    { referralId, pcnCode: PCN, needs: ['loneliness'], autoOffer: false, assessedAt: now() },
    referralId,
  ),
];
const capacity = (
  serviceId: string,
  organisationId: string,
  maxActive: number,
  weeklyIntake: number,
  status = 'open',
) =>
  event(
    'capacity.updated.v1',
    {
      serviceId,
      organisationId,
      maxActive,
      weeklyIntake,
      active: 0,
      reserved: 0,
      offersThisWeek: 0,
      status: status as 'open',
      changedAt: now(),
    },
    serviceId,
  );

describe('matching: offers, places and consent (two instances, real stack)', () => {
  const h = new MatchingHarness({ name: 'matching-it', ports: PORTS });
  // The instances: a test stops and restarts them here, and the harness closes whatever is left.
  const apps = h.apps;
  let ds: DataSource;
  let publisher: EventPublisher;
  let matchingTopic: EventCollector;
  let linkWorker: string;
  let coordinator: string;
  let otherCoordinator: string;

  beforeAll(async () => {
    await h.start();
    ({ ds, publisher, matchingTopic } = h);
    linkWorker = await mintDevToken({ sub: 'lw-1', role: 'link_worker', pcn: PCN });
    coordinator = await mintDevToken({ sub: 'co-1', role: 'vcso_coordinator', org: ORG });
    otherCoordinator = await mintDevToken({ sub: 'co-2', role: 'vcso_coordinator', org: OTHER_ORG });
  }, 300_000);

  afterAll(() => h.stop());

  const post = (port: number, path: string, token: string, body: unknown) =>
    fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  async function seed(
    referrals: number,
    services: { id: string; org: string; maxActive: number; weeklyIntake: number }[],
    share = true,
  ) {
    const ids = Array.from({ length: referrals }, () => randomUUID());
    await publisher.publish(...services.map((s) => capacity(s.id, s.org, s.maxActive, s.weeklyIntake)));
    await publisher.publish(...ids.flatMap((id) => referralEvents(id, share)));
    await waitFor(
      async () => {
        const [{ n }] = await ds.query(
          `SELECT count(*)::int AS n FROM referral_projection WHERE referral_id = ANY($1) AND assessed_at IS NOT NULL AND consent = 'granted'`,
          [ids],
        );
        const [{ s }] = await ds.query(
          `SELECT count(*)::int AS s FROM service_load WHERE service_id = ANY($1)`,
          [services.map((x) => x.id)],
        );
        return n === ids.length && s === services.length;
      },
      { timeoutMs: 90_000, message: `${referrals} referrals and ${services.length} services projected` },
    );
    return ids;
  }

  it('never exceeds maxActive or weeklyIntake under 600 concurrent offers across two instances, and every 409 is a real shortage', async () => {
    const services = [
      { id: randomUUID(), org: ORG, maxActive: 5, weeklyIntake: 20 },
      { id: randomUUID(), org: ORG, maxActive: 30, weeklyIntake: 7 },
      { id: randomUUID(), org: ORG, maxActive: 2, weeklyIntake: 2 },
      { id: randomUUID(), org: OTHER_ORG, maxActive: 11, weeklyIntake: 50 },
    ];
    const referrals = await seed(600, services);
    const results = await Promise.all(
      referrals.map(async (referralId, i) => {
        const service = services[i % services.length];
        const res = await post(PORTS[i % 2], '/offers', linkWorker, { referralId, serviceId: service.id });
        const body = (await res.json()) as { id?: string; detail?: string };
        return { service: service.id, status: res.status, detail: body.detail };
      }),
    );
    const placed = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect(placed.length + refused.length).toBe(results.length);
    const loads: { service_id: string; reserved: number; active: number; offers_this_week: number }[] =
      await ds.query(
        `SELECT service_id, reserved, active, offers_this_week FROM service_load WHERE service_id = ANY($1)`,
        [services.map((s) => s.id)],
      );
    for (const s of services) {
      const limit = Math.min(s.maxActive, s.weeklyIntake);
      const load = loads.find((l) => l.service_id === s.id)!;
      const [{ offers }] = await ds.query(
        `SELECT count(*)::int AS offers FROM offers WHERE service_id = $1`,
        [s.id],
      );
      // Exactly as many places as there were, never one more: and the load row agrees with the offers.
      expect({
        service: s.id,
        placed: placed.filter((p) => p.service === s.id).length,
        offers,
        reserved: load.reserved,
      }).toEqual({
        service: s.id,
        placed: limit,
        offers: limit,
        reserved: limit,
      });
      expect(load.offers_this_week).toBeLessThanOrEqual(s.weeklyIntake);
      // Every refusal for this service names a real shortage, and the service really is at its limit.
      for (const r of refused.filter((x) => x.service === s.id)) {
        expect(r.detail).toMatch(s.maxActive <= s.weeklyIntake ? /no place left/ : /weekly intake is used/);
      }
    }
    await waitFor(
      () =>
        matchingTopic.events.filter((e) => e.type === 'offer.made.v1' && placed.length).length >=
        placed.length,
      {
        message: 'an offer.made.v1 per placement',
      },
    );
    console.log(
      `race: ${results.length} concurrent offers over 2 instances, ${placed.length} placed, ${refused.length} refused (409)`,
    );
  });

  it('keeps every limit when automatic offers from both instances race link workers for the same places', async () => {
    // This run's own accessibility code: services other specs left on the shared topics never suit.
    const run = `race-${randomBytes(4).toString('hex')}`;
    const limits = [
      { maxActive: 10, weeklyIntake: 20 },
      { maxActive: 20, weeklyIntake: 8 },
      { maxActive: 5, weeklyIntake: 5 },
      { maxActive: 12, weeklyIntake: 50 },
    ];
    const services = limits.map((l) => ({ id: randomUUID(), ...l }));
    await publisher.publish(
      ...services.map((s) =>
        event(
          'service.registered.v1',
          {
            ...EVENT_EXAMPLES['service.registered.v1'],
            serviceId: s.id,
            organisationId: ORG,
            needs: ['carers'],
            accessibility: [run],
            languages: [],
            radiusKm: 50,
            maxActive: s.maxActive,
            weeklyIntake: s.weeklyIntake,
            registeredAt: now(),
          },
          s.id,
        ),
      ),
    );
    const person = (referralId: string, autoOffer: boolean): CloudEvent[] => [
      event(
        'referral.received.v1',
        {
          ...EVENT_EXAMPLES['referral.received.v1'],
          referralId,
          pcnCode: PCN,
          practiceCode: 'P00001',
          personKey: randomBytes(32).toString('hex'),
          needs: ['carers'],
          accessibilityNeeds: [run],
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
        { referralId, pcnCode: PCN, needs: ['carers'], autoOffer, assessedAt: now() },
        referralId,
      ),
    ];
    const manual = Array.from({ length: 250 }, () => randomUUID());
    const auto = Array.from({ length: 250 }, () => randomUUID());
    await publisher.publish(...manual.flatMap((id) => person(id, false)));
    await waitFor(
      async () =>
        (
          await ds.query(
            `SELECT count(*)::int AS n FROM referral_projection WHERE referral_id = ANY($1) AND assessed_at IS NOT NULL AND consent = 'granted'`,
            [manual],
          )
        )[0].n === manual.length &&
        (
          await ds.query(`SELECT count(*)::int AS n FROM service_profile WHERE service_id = ANY($1)`, [
            services.map((x) => x.id),
          ])
        )[0].n === services.length,
      { timeoutMs: 90_000, message: 'manual referrals and services projected' },
    );

    // Automatic offers are being made by both instances' consumers when link workers post to both.
    await publisher.publish(...auto.flatMap((id) => person(id, true)));
    await waitFor(
      async () => (await ds.query(`SELECT 1 FROM offers WHERE referral_id = ANY($1) LIMIT 1`, [auto])).length,
      { timeoutMs: 60_000, message: 'the first automatic offer' },
    );
    const results = await Promise.all(
      manual.map(async (referralId, i) => {
        const service = services[i % services.length];
        const res = await post(PORTS[i % 2], '/offers', linkWorker, { referralId, serviceId: service.id });
        return { status: res.status, detail: ((await res.json()) as { detail?: string }).detail };
      }),
    );
    // Every automatic referral ends offered or waitlisted.
    await waitFor(
      async () =>
        (
          await ds.query(
            `SELECT count(*)::int AS n FROM referral_projection r WHERE referral_id = ANY($1)
               AND (waitlisted_at IS NOT NULL OR EXISTS (SELECT 1 FROM offers o WHERE o.referral_id = r.referral_id))`,
            [auto],
          )
        )[0].n === auto.length,
      { timeoutMs: 90_000, message: 'every automatic referral offered or waitlisted' },
    );
    for (const r of results.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.detail).toMatch(/no place left|weekly intake is used/);
    }
    let placesTaken = 0;
    for (const s of services) {
      const [load] = await ds.query(
        `SELECT active, reserved, offers_this_week FROM service_load WHERE service_id = $1`,
        [s.id],
      );
      const [{ offers }] = await ds.query(
        `SELECT count(*)::int AS offers FROM offers WHERE service_id = $1`,
        [s.id],
      );
      // Demand far exceeds the places: each service fills exactly to its tighter limit, never past it.
      const limit = Math.min(s.maxActive, s.weeklyIntake);
      expect({ offers, reserved: load.reserved, week: load.offers_this_week }).toEqual({
        offers: limit,
        reserved: limit,
        week: limit,
      });
      placesTaken += offers;
    }
    const [{ autoOffers, waitlisted }] = await ds.query(
      `SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM offers o WHERE o.referral_id = r.referral_id))::int AS "autoOffers",
              count(*) FILTER (WHERE waitlisted_at IS NOT NULL)::int AS waitlisted
         FROM referral_projection r WHERE referral_id = ANY($1)`,
      [auto],
    );
    expect(autoOffers + waitlisted).toBe(auto.length);
    expect(results.filter((r) => r.status === 201).length + autoOffers).toBe(placesTaken);
    console.log(
      `race with automatic offers: ${results.length} posts and ${auto.length} automatic referrals over 2 instances; ${placesTaken} places taken (${autoOffers} automatically), ${waitlisted} waitlisted`,
    );
  });

  it('backs the limits with the database itself', async () => {
    const id = randomUUID();
    await publisher.publish(capacity(id, ORG, 1, 1));
    await waitFor(
      async () => (await ds.query(`SELECT 1 FROM service_load WHERE service_id = $1`, [id])).length,
      {
        message: 'service projected',
      },
    );
    await expect(
      ds.query(`UPDATE service_load SET reserved = 2 WHERE service_id = $1`, [id]),
    ).rejects.toThrow(/above its maxActive/);
    await expect(
      ds.query(`UPDATE service_load SET offers_this_week = 2, week = 'x' WHERE service_id = $1`, [id]),
    ).rejects.toThrow(/above its weeklyIntake/);
    // Lowering the limit below the load evicts nobody.
    await ds.query(`UPDATE service_load SET reserved = 1 WHERE service_id = $1`, [id]);
    await ds.query(`UPDATE service_load SET max_active = 0 WHERE service_id = $1`, [id]);
  });

  it('takes a load announcement that repeats the limits without locking the service row, and never lets an older one win', async () => {
    const id = randomUUID();
    const at = (ms: number) => new Date(Date.parse('2026-12-01T09:00:00Z') + ms).toISOString();
    const announce = (maxActive: number, changedAt: string, reserved = 0) => {
      const e = capacity(id, ORG, maxActive, 10);
      Object.assign(e.data as object, { changedAt, reserved });
      return e;
    };
    const handled = async (ceId: string) =>
      (await ds.query(`SELECT 1 FROM inbox WHERE ce_id = $1`, [ceId])).length === 1;
    const first = announce(3, at(0));
    await publisher.publish(first);
    await waitFor(() => handled(first.id), { message: 'the service projected' });

    // An open transaction holds the service's row, as an offer being made there does.
    const runner = ds.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await runner.query(`SELECT 1 FROM service_load WHERE service_id = $1 FOR UPDATE`, [id]);
      // The same limits with another load (an offer elsewhere in the flow): handled at once.
      const repeat = announce(3, at(2000), 1);
      await publisher.publish(repeat);
      await waitFor(() => handled(repeat.id), {
        timeoutMs: 10_000,
        message: 'the repeat handled while the row is held',
      });
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
    // Older than the repeat, with other limits: seen too late, it changes nothing.
    const late = announce(7, at(1000));
    await publisher.publish(late);
    await waitFor(() => handled(late.id), { message: 'the late one handled' });
    const limit = async () =>
      (await ds.query(`SELECT max_active FROM service_load WHERE service_id = $1`, [id]))[0].max_active;
    expect(await limit()).toBe(3);
    // A newer change of limits still applies.
    const raised = announce(5, at(3000));
    await publisher.publish(raised);
    await waitFor(() => handled(raised.id), { message: 'the raise handled' });
    expect(await limit()).toBe(5);
    const [seen] = await ds.query(`SELECT seen_at FROM service_settings_seen WHERE service_id = $1`, [id]);
    expect(new Date(seen.seen_at).toISOString()).toBe(at(3000));
  });

  it('offers nothing without consent to share, and a withdrawal cancels the open offer and frees its place', async () => {
    const service = { id: randomUUID(), org: ORG, maxActive: 1, weeklyIntake: 5 };
    const [noShare] = await seed(1, [service], false);
    const [shared] = await seed(1, [service], true);
    const refused = await post(PORTS[0], '/offers', linkWorker, {
      referralId: noShare,
      serviceId: service.id,
    });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/no consent to share/);

    const made = await post(PORTS[1], '/offers', linkWorker, { referralId: shared, serviceId: service.id });
    expect(made.status).toBe(201);
    const offer = (await made.json()) as { id: string };
    // Coordinators of another organisation never see it.
    expect((await post(PORTS[0], `/offers/${offer.id}/accept`, otherCoordinator, {})).status).toBe(404);
    expect((await post(PORTS[0], `/offers/${offer.id}/accept`, coordinator, {})).status).toBe(200);

    await publisher.publish(
      event(
        'consent.withdrawn.v1',
        { consentId: randomUUID(), referralId: shared, pcnCode: PCN, withdrawnAt: now() },
        shared,
      ),
    );
    await waitFor(
      async () =>
        (await ds.query(`SELECT status FROM offers WHERE id = $1`, [offer.id]))[0].status === 'cancelled',
      { message: 'offer cancelled after the withdrawal' },
    );
    const [load] = await ds.query(`SELECT active, reserved FROM service_load WHERE service_id = $1`, [
      service.id,
    ]);
    expect(load).toEqual({ active: 0, reserved: 0 });
    await waitFor(
      () =>
        matchingTopic.events.some(
          (e) => e.type === 'offer.cancelled.v1' && (e.data as { offerId: string }).offerId === offer.id,
        ),
      { message: 'offer.cancelled.v1 published' },
    );
  });

  it('turns an acceptance into an active place, and completion or a decline frees it', async () => {
    const service = { id: randomUUID(), org: ORG, maxActive: 1, weeklyIntake: 10 };
    const [a, b, c] = await seed(3, [service]);
    const first = (await (
      await post(PORTS[0], '/offers', linkWorker, { referralId: a, serviceId: service.id })
    ).json()) as { id: string };
    expect(
      (await post(PORTS[1], '/offers', linkWorker, { referralId: b, serviceId: service.id })).status,
    ).toBe(409);
    expect(
      (await post(PORTS[0], `/offers/${first.id}/decline`, coordinator, { reason: 'not-suitable' })).status,
    ).toBe(200);
    const second = (await (
      await post(PORTS[1], '/offers', linkWorker, { referralId: b, serviceId: service.id })
    ).json()) as { id: string };
    expect((await post(PORTS[0], `/offers/${second.id}/accept`, coordinator, {})).status).toBe(200);
    expect(
      (await post(PORTS[0], '/offers', linkWorker, { referralId: c, serviceId: service.id })).status,
    ).toBe(409);
    expect(
      (await post(PORTS[1], `/offers/${second.id}/complete`, coordinator, { outcome: 'did-not-attend' }))
        .status,
    ).toBe(200);
    expect(
      (await post(PORTS[0], '/offers', linkWorker, { referralId: c, serviceId: service.id })).status,
    ).toBe(201);
    // The same service is never offered twice for one referral.
    expect(
      (await post(PORTS[0], '/offers', linkWorker, { referralId: a, serviceId: service.id })).status,
    ).toBe(409);
    const bad = await post(PORTS[0], `/offers/${second.id}/complete`, coordinator, { outcome: 'finished' });
    expect(bad.status).toBe(400);
  });

  it('expires an unanswered offer by its delayed job, even across a restart of matching and a Redis that lost its data', async () => {
    const service = { id: randomUUID(), org: ORG, maxActive: 1, weeklyIntake: 10 };
    const [referralId] = await seed(1, [service]);
    process.env.OFFER_EXPIRY_DAYS = String(25 / 86_400); // 25 seconds: longer than closing the apps takes
    const made = await post(PORTS[0], '/offers', linkWorker, { referralId, serviceId: service.id });
    expect(made.status).toBe(201);
    const offer = (await made.json()) as { id: string; expiresAt: string };

    // Matching stops, and Redis forgets every job (this Redis keeps nothing on disk).
    for (const app of apps.splice(0)) await app.close();
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const keys = await redis.keys(`bull:${process.env.SP_QUEUE_PREFIX}-matching-offer-expiry:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    redis.disconnect();
    expect((await ds.query(`SELECT status FROM offers WHERE id = $1`, [offer.id]))[0].status).toBe('pending');

    // It comes back after the offer lapsed: the job is re-armed from Postgres and runs at once.
    await waitFor(() => Date.now() > new Date(offer.expiresAt).getTime(), {
      timeoutMs: 40_000,
      message: 'offer lapses',
    });
    await h.boot(PORTS[0]);
    await waitFor(
      async () =>
        (await ds.query(`SELECT status FROM offers WHERE id = $1`, [offer.id]))[0].status === 'expired',
      { timeoutMs: 20_000, message: 'offer expired after the restart' },
    );
    const [load] = await ds.query(`SELECT active, reserved FROM service_load WHERE service_id = $1`, [
      service.id,
    ]);
    expect(load).toEqual({ active: 0, reserved: 0 });
    await waitFor(
      () =>
        matchingTopic.events.some(
          (e) => e.type === 'offer.expired.v1' && (e.data as { offerId: string }).offerId === offer.id,
        ),
      { message: 'offer.expired.v1 published' },
    );
    delete process.env.OFFER_EXPIRY_DAYS;
  });
});
