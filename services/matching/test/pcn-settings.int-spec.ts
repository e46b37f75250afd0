import { mintDevToken } from '@sp/auth';
import type { NeedCode, OfferMadeV1 } from '@sp/contracts';
import type { EventCollector, EventPublisher } from '@sp/messaging';
import { waitFor } from '@sp/testing';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MatchingHarness, now, testEvent as event } from './matching-harness';

/**
 * An offer lapses after its PCN's own `offerExpiryDays`, as pcn.registered.v1 gave it (the latest
 * registration winning), and after OFFER_EXPIRY_DAYS for a PCN no registration has named: matching
 * in-process on its own database and consumer group (at the topics' ends), fed real events.
 */
const PORT = 3136;
const DAY_MS = 86_400_000;
const ORG = randomUUID();
// This run's own accessibility code: services other runs left on the shared topics never suit.
const RUN = `run-${randomBytes(4).toString('hex')}`;
const pcn = () => `U7${String(randomInt(0, 10000)).padStart(4, '0')}`;
const PCN = pcn();
let UNREGISTERED = pcn();
while (UNREGISTERED === PCN) UNREGISTERED = pcn();

interface OfferRow {
  id: string;
  auto: boolean;
  created_at: Date;
  expires_at: Date;
}

describe("matching: offers lapse after their PCN's own offerExpiryDays (real stack)", () => {
  // OFFER_EXPIRY_DAYS unset: the default, 14 days, for PCNs never registered.
  const h = new MatchingHarness({
    name: 'matching-pcn-it',
    ports: [PORT],
    env: { OFFER_EXPIRY_DAYS: undefined },
  });
  let ds: DataSource;
  let publisher: EventPublisher;
  let matchingTopic: EventCollector;
  let linkWorker: string;

  beforeAll(async () => {
    await h.start();
    ({ ds, publisher, matchingTopic } = h);
    linkWorker = await mintDevToken({ sub: 'lw-pcn', role: 'link_worker', pcn: PCN });
    // One online service with room for everyone here (no geography needed).
    const serviceId = randomUUID();
    await publisher.publish(
      event(
        'service.registered.v1',
        {
          serviceId,
          organisationId: ORG,
          icsCode: 'QWO',
          needs: ['loneliness'],
          postcodeDistrict: 'LS6',
          locationKnown: false,
          radiusKm: 10,
          languages: [],
          accessibility: [RUN],
          mode: 'online',
          maxActive: 50,
          weeklyIntake: 50,
          registeredAt: now(),
        },
        serviceId,
      ),
    );
    await waitFor(
      async () => (await ds.query(`SELECT 1 FROM service_load WHERE service_id = $1`, [serviceId])).length,
      { message: 'the service projected' },
    );
  }, 300_000);

  afterAll(() => h.stop());

  /** Publishes a registration of PCN and waits until matching has consumed it. */
  async function register(offerExpiryDays: number, registeredAt: string): Promise<void> {
    const ev = event(
      'pcn.registered.v1',
      {
        pcnCode: PCN,
        name: 'Lapse Test PCN',
        icsCode: 'QWO',
        practices: [{ code: 'P70001', postcodeDistrict: 'LS6' }],
        settings: { offerExpiryDays, autoOffer: true },
        registeredAt,
      },
      PCN,
    );
    await publisher.publish(ev);
    await waitFor(async () => (await ds.query(`SELECT 1 FROM inbox WHERE ce_id = $1`, [ev.id])).length, {
      message: `pcn.registered.v1 (${offerExpiryDays} days) consumed`,
    });
  }

  async function settingsHeld(): Promise<{ offer_expiry_days: number; registered_at: Date } | undefined> {
    const [row] = await ds.query(
      `SELECT offer_expiry_days, registered_at FROM pcn_settings WHERE pcn_code = $1`,
      [PCN],
    );
    return row as { offer_expiry_days: number; registered_at: Date } | undefined;
  }

  /** A referral received, consented (sharing) and assessed, as intake and consent publish them. */
  async function referral(pcnCode: string, autoOffer: boolean, needs: NeedCode[] = ['loneliness']) {
    const referralId = randomUUID();
    await publisher.publish(
      event(
        'referral.received.v1',
        {
          referralId,
          personKey: randomBytes(32).toString('hex'),
          pcnCode,
          practiceCode: 'P70001',
          needs,
          ageBand: '65-74',
          postcodeDistrict: 'LS6',
          accessibilityNeeds: [RUN],
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
          pcnCode,
          method: 'verbal',
          shareWithVcso: true,
          recordedAt: now(),
        },
        referralId,
      ),
      event('referral.assessed.v1', { referralId, pcnCode, needs, autoOffer, assessedAt: now() }, referralId),
    );
    return referralId;
  }

  const offerOf = (referralId: string) =>
    waitFor(
      async () =>
        ((await ds.query(`SELECT * FROM offers WHERE referral_id = $1`, [referralId])) as OfferRow[])[0],
      { message: `an offer for ${referralId}` },
    );

  /** Days between the offer's creation and its expiry, and between now and its expiry. */
  const lifetime = (o: { created_at: Date; expires_at: Date }) =>
    (o.expires_at.getTime() - o.created_at.getTime()) / DAY_MS;
  const fromNow = (expiresAt: Date | string) => (new Date(expiresAt).getTime() - Date.now()) / DAY_MS;

  it("gives an automatic offer its PCN's offerExpiryDays, on the row and on offer.made.v1", async () => {
    await register(3, '2026-01-10T09:00:00Z');
    expect((await settingsHeld())?.offer_expiry_days).toBe(3);
    const referralId = await referral(PCN, true);
    const offer = await offerOf(referralId);
    expect(offer.auto).toBe(true);
    expect(lifetime(offer)).toBeCloseTo(3, 6);
    expect(fromNow(offer.expires_at)).toBeGreaterThan(3 - 60_000 / DAY_MS); // expiresAt ≈ now + 3 days
    expect(fromNow(offer.expires_at)).toBeLessThanOrEqual(3);
    const made = await waitFor(
      () => matchingTopic.events.find((e) => e.type === 'offer.made.v1' && e.subject === referralId),
      { message: 'offer.made.v1 for the automatic offer' },
    );
    const data = made.data as OfferMadeV1;
    expect((Date.parse(data.expiresAt) - Date.parse(data.madeAt)) / DAY_MS).toBeCloseTo(3, 6);
  });

  it("gives an offer a link worker makes its PCN's offerExpiryDays too", async () => {
    const referralId = await referral(PCN, false);
    const [serviceId] = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${PORT}/api/v1/matches/${referralId}`, {
          headers: { authorization: `Bearer ${linkWorker}` },
        });
        const body = (await res.json()) as { candidates?: { serviceId: string }[] };
        return body.candidates?.length ? body.candidates.map((c) => c.serviceId) : undefined;
      },
      { message: 'a candidate for the link worker' },
    );
    const res = await fetch(`http://127.0.0.1:${PORT}/api/v1/offers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${linkWorker}`, 'content-type': 'application/json' },
      body: JSON.stringify({ referralId, serviceId }),
    });
    expect(res.status).toBe(201);
    const view = (await res.json()) as { createdAt: string; expiresAt: string };
    expect((Date.parse(view.expiresAt) - Date.parse(view.createdAt)) / DAY_MS).toBeCloseTo(3, 6);
    expect(fromNow(view.expiresAt)).toBeGreaterThan(3 - 60_000 / DAY_MS);
  });

  it('keeps the latest registration, whatever order they arrive in', async () => {
    await register(5, '2026-01-12T09:00:00Z');
    await register(30, '2026-01-11T09:00:00Z'); // older: ignored
    expect(await settingsHeld()).toEqual({
      offer_expiry_days: 5,
      registered_at: new Date('2026-01-12T09:00:00Z'),
    });
    const referralId = await referral(PCN, true);
    expect(lifetime(await offerOf(referralId))).toBeCloseTo(5, 6);
  });

  it('falls back to OFFER_EXPIRY_DAYS (14 by default) for a PCN no registration has named', async () => {
    const referralId = await referral(UNREGISTERED, true);
    const offer = await offerOf(referralId);
    expect(lifetime(offer)).toBeCloseTo(14, 6);
  });
});
