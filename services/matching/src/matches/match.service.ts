import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { assertInScope, canSeePcn, type AuthClaims } from '@sp/auth';
import {
  NEED_UNMET_V1,
  REFERRAL_WAITLISTED_V1,
  type NeedCode,
  type NeedUnmetV1,
  type ReferralWaitlistedV1,
  type UnmetNeedReason,
} from '@sp/contracts';
import { isoWeekLondon } from '@sp/domain';
import { isTransientError, OutboxWriter } from '@sp/messaging';
import type { DataSource, EntityManager } from 'typeorm';
import { OfferService, type FreedPlace } from '../offers/offer.service';
import type { MatchesView } from './match.dto';
import {
  FAIRNESS_WINDOW_DAYS,
  rankServices,
  WEIGHTS,
  type LatLon,
  type PersonProfile,
  type Ranking,
  type ServiceProfile,
} from './scoring';

interface ReferralRow {
  referral_id: string;
  pcn_code: string;
  needs: string[];
  age_band: string | null;
  postcode_district: string | null;
  preferred_language: string | null;
  accessibility_needs: string[];
  assessed_at: Date | null;
  auto_offer: boolean;
  urgent: boolean;
  consent: 'none' | 'granted' | 'declined' | 'withdrawn';
  share_with_vcso: boolean;
  closed: boolean;
  auto_pending: boolean;
  waitlisted_at: Date | null;
  first_waitlisted_at: Date | null;
  unmet_at: Date | null;
}

interface ServiceRow {
  service_id: string;
  organisation_id: string;
  needs: string[];
  postcode_district: string;
  lat: number | null;
  lon: number | null;
  radius_km: number;
  min_age: number | null;
  max_age: number | null;
  languages: string[];
  accessibility: string[];
  mode: 'in-person' | 'online' | 'phone';
  paused: boolean;
  max_active: number;
  weekly_intake: number;
  active: number;
  reserved: number;
  offers_this_week: number;
  recent_offers: number;
  already_offered: boolean;
}

/** What one attempt to place a referral came to. */
export type PlacementOutcome = 'offered' | 'waitlisted' | 'unmet' | 'not-ready' | 'has-offer' | 'choosing';

const WAITLIST_BATCH = 200;

/**
 * Chooses services for referrals: the ranked candidates a link worker sees, the automatic offer when
 * the assessment asks for one (and the next candidate after an automatic offer is declined or
 * lapses), the waitlist when nothing suitable has room, and unmet need when nothing suitable exists.
 * Every placement reserves through OfferService, so the limits' guard is the same for all paths.
 */
@Injectable()
export class MatchService implements OnModuleInit {
  private readonly log = new Logger('matching');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly offers: OfferService,
    private readonly outbox: OutboxWriter,
  ) {}

  onModuleInit(): void {
    this.offers.onPlaceFreed((freed) => this.afterPlaceFreed(freed));
  }

  /** `GET /matches/:referralId`. */
  async matchesFor(user: AuthClaims, referralId: string): Promise<MatchesView> {
    const [referral]: ReferralRow[] = await this.ds.query(
      `SELECT * FROM referral_projection WHERE referral_id = $1`,
      [referralId],
    );
    assertInScope(referral && canSeePcn(user, referral.pcn_code), 'referral');
    const { person, ranking } = await this.rank(this.ds.manager, referral);
    return {
      referralId,
      needs: referral.needs,
      ageBand: referral.age_band,
      postcodeDistrict: referral.postcode_district,
      locationKnown: person.location !== null,
      waitlisted: referral.waitlisted_at !== null,
      weights: { ...WEIGHTS },
      fairnessWindowDays: FAIRNESS_WINDOW_DAYS,
      suitable: ranking.suitable,
      candidates: ranking.candidates,
      excluded: ranking.excluded,
    };
  }

  /**
   * Run in the transaction of the event that made a referral ready (assessed, or consent granted
   * after the assessment). An automatic referral gets its best candidate offered; a manual one is
   * left for the link worker to choose, unless nothing suitable has room (waitlisted) or nothing
   * suitable exists (unmet need).
   */
  async onReady(m: EntityManager, referralId: string): Promise<PlacementOutcome> {
    const referral = await this.lockReady(m, referralId, false);
    if (!referral) return 'not-ready';
    if (referral.auto_pending || referral.waitlisted_at) return this.place(m, referral);
    if (await this.hasOpenOffer(m, referralId)) return 'has-offer';
    const { ranking } = await this.rank(m, referral, { coveringNeeds: true });
    if (ranking.candidates.length) return 'choosing';
    return this.cannotPlace(m, referral, ranking);
  }

  /**
   * Offers a referral that matching owes a placement (automatic, or waitlisted) its best candidate
   * with room; otherwise keeps it on (or puts it on) the waitlist, or reports the need unmet.
   */
  async placeOwed(m: EntityManager, referralId: string, skipLocked = false): Promise<PlacementOutcome> {
    const referral = await this.lockReady(m, referralId, skipLocked);
    if (!referral) return 'not-ready';
    if (!referral.auto_pending && !referral.waitlisted_at) return 'choosing';
    return this.place(m, referral);
  }

  /**
   * A place may have opened at these services (a cancellation, limits raised, a reopening, a new
   * service): offer it to the waitlist, urgent first, then in order of arrival. Works inside the
   * caller's transaction and only ever reserves at these services, whose rows the caller may already
   * hold; waitlisted referrals another transaction is busy with are skipped, not waited for.
   */
  async fillFreedPlaces(m: EntityManager, serviceIds: string[]): Promise<number> {
    let placed = 0;
    const week = isoWeekLondon();
    for (const serviceId of [...new Set(serviceIds)]) {
      const tried: string[] = [];
      for (let i = 0; i < WAITLIST_BATCH; i++) {
        // The next waitlisted referral, if the service has room (one statement for both).
        const [next]: ReferralRow[] = await m.query(
          `SELECT r.* FROM referral_projection r
            WHERE EXISTS (
                    SELECT 1 FROM service_load l JOIN service_profile p USING (service_id)
                     WHERE l.service_id = $1 AND NOT l.paused AND l.active + l.reserved < l.max_active
                       AND (l.week <> $3 OR l.offers_this_week < l.weekly_intake) AND l.weekly_intake > 0)
              AND r.waitlisted_at IS NOT NULL AND NOT r.closed AND r.consent = 'granted' AND r.share_with_vcso
              AND r.needs && (SELECT needs FROM service_profile WHERE service_id = $1)
              AND r.referral_id <> ALL($2::uuid[])
              AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.referral_id = r.referral_id
                                AND (o.service_id = $1 OR o.status IN ('pending', 'accepted')))
            ORDER BY r.urgent DESC, r.waitlisted_at, r.referral_id
            LIMIT 1 FOR UPDATE OF r SKIP LOCKED`,
          [serviceId, tried, week],
        );
        if (!next) break;
        const { ranking } = await this.rank(m, next, { onlyServiceId: serviceId });
        const best = ranking.candidates[0];
        const made = best ? await this.offerTo(m, next, best.serviceId) : false;
        if (made) placed++;
        else tried.push(next.referral_id);
      }
    }
    return placed;
  }

  /**
   * Catches up with what an interrupted request or job left owed (an automatic referral whose offer
   * was declined just before a crash), and with places no event announced (a new ISO week): each
   * referral in its own short transaction, waitlisted ones in order.
   */
  async sweep(limit = 500): Promise<number> {
    const week = isoWeekLondon();
    const [room] = await this.ds.query(
      `SELECT 1 FROM service_load WHERE NOT paused AND active + reserved < max_active
         AND (week <> $1 OR offers_this_week < weekly_intake) AND weekly_intake > 0 LIMIT 1`,
      [week],
    );
    const owed: { referral_id: string }[] = await this.ds.query(
      `SELECT referral_id FROM referral_projection
        WHERE (auto_pending OR ($1 AND waitlisted_at IS NOT NULL))
          AND NOT closed AND consent = 'granted' AND share_with_vcso AND assessed_at IS NOT NULL
        ORDER BY urgent DESC, COALESCE(waitlisted_at, assessed_at), referral_id LIMIT $2`,
      [Boolean(room), limit],
    );
    let offered = 0;
    for (const { referral_id } of owed) {
      const outcome = await this.ds.transaction((m) => this.placeOwed(m, referral_id, true));
      if (outcome === 'offered') offered++;
    }
    return offered;
  }

  private async afterPlaceFreed(freed: FreedPlace): Promise<void> {
    // Two places freed at once may lock the same services in another order: Postgres then breaks the
    // deadlock by failing one, which is worth a few more tries before leaving it to the sweep.
    for (let attempt = 1; ; attempt++) {
      try {
        // The declined referral first (it is owed the next candidate), then the waitlist.
        if (freed.auto) await this.ds.transaction((m) => this.placeOwed(m, freed.referralId));
        await this.ds.transaction((m) => this.fillFreedPlaces(m, [freed.serviceId]));
        return;
      } catch (err) {
        if (attempt < 5 && isTransientError(err)) {
          await new Promise((r) => setTimeout(r, 20 * attempt + Math.random() * 50));
          continue;
        }
        this.log.warn(
          `re-matching after a freed place failed: ${err instanceof Error ? err.message : 'error'}`,
        );
        return;
      }
    }
  }

  private async place(m: EntityManager, referral: ReferralRow): Promise<PlacementOutcome> {
    if (await this.hasOpenOffer(m, referral.referral_id)) {
      await m.query(
        `UPDATE referral_projection SET auto_pending = false, waitlisted_at = NULL WHERE referral_id = $1`,
        [referral.referral_id],
      );
      return 'has-offer';
    }
    const { ranking } = await this.rank(m, referral, { coveringNeeds: true });
    for (const candidate of ranking.candidates) {
      // A place seen a moment ago may be gone: the reservation is the judge, so try the next.
      if (await this.offerTo(m, referral, candidate.serviceId)) return 'offered';
    }
    return this.cannotPlace(m, referral, ranking);
  }

  private async offerTo(m: EntityManager, referral: ReferralRow, serviceId: string): Promise<boolean> {
    const made = await this.offers.offerInTransaction(m, referral, serviceId, {
      auto: true,
      createdBy: 'matching',
    });
    if ('shortage' in made) return false;
    await m.query(
      // A referral that comes back to the waitlist (its offer declined) keeps its place in the queue.
      `UPDATE referral_projection
          SET auto_pending = false, first_waitlisted_at = COALESCE(first_waitlisted_at, waitlisted_at),
              waitlisted_at = NULL, unmet_at = NULL
        WHERE referral_id = $1`,
      [referral.referral_id],
    );
    await this.offers.offerMade(made);
    return true;
  }

  /** Nothing could be offered: the waitlist when something suitable lacks room, else unmet need. */
  private async cannotPlace(
    m: EntityManager,
    referral: ReferralRow,
    ranking: Ranking,
  ): Promise<PlacementOutcome> {
    const now = new Date();
    if (ranking.suitable > 0) {
      await m.query(
        `UPDATE referral_projection
            SET auto_pending = false, waitlisted_at = COALESCE(waitlisted_at, first_waitlisted_at, $2), unmet_at = NULL
          WHERE referral_id = $1`,
        [referral.referral_id, now],
      );
      if (!referral.waitlisted_at && referral.postcode_district) {
        const data: ReferralWaitlistedV1 = {
          referralId: referral.referral_id,
          pcnCode: referral.pcn_code,
          needs: referral.needs as NeedCode[],
          postcodeDistrict: referral.postcode_district,
          waitlistedAt: now.toISOString(),
        };
        await this.outbox.enqueue(m, { type: REFERRAL_WAITLISTED_V1, subject: referral.referral_id, data });
        await this.unmet(m, referral, 'waitlisted', now);
      }
      return 'waitlisted';
    }
    // Nothing suitable is left to try: the link worker takes it back, and commissioners hear of it.
    await m.query(
      `UPDATE referral_projection SET auto_pending = false, waitlisted_at = NULL, unmet_at = COALESCE(unmet_at, $2)
        WHERE referral_id = $1`,
      [referral.referral_id, now],
    );
    if (!referral.unmet_at) await this.unmet(m, referral, 'no-suitable-service', now);
    return 'unmet';
  }

  private async unmet(m: EntityManager, referral: ReferralRow, reason: UnmetNeedReason, at: Date) {
    if (!referral.postcode_district) return;
    const data: NeedUnmetV1 = {
      referralId: referral.referral_id,
      pcnCode: referral.pcn_code,
      needs: referral.needs as NeedCode[],
      postcodeDistrict: referral.postcode_district,
      reason,
      at: at.toISOString(),
    };
    await this.outbox.enqueue(m, { type: NEED_UNMET_V1, subject: referral.referral_id, data });
  }

  /** The referral's row, locked, if it may be offered at all (assessed, consent to share, open). */
  private async lockReady(
    m: EntityManager,
    referralId: string,
    skipLocked: boolean,
  ): Promise<ReferralRow | null> {
    const [referral]: ReferralRow[] = await m.query(
      `SELECT * FROM referral_projection WHERE referral_id = $1 FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''}`,
      [referralId],
    );
    if (!referral || referral.closed || !referral.assessed_at) return null;
    if (referral.consent !== 'granted' || !referral.share_with_vcso) return null;
    return referral;
  }

  private async hasOpenOffer(m: EntityManager, referralId: string): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `SELECT 1 FROM offers WHERE referral_id = $1 AND status IN ('pending', 'accepted')`,
      [referralId],
    );
    return rows.length > 0;
  }

  /**
   * Ranks the services for a referral, from matching's own tables: all of them for the link worker's
   * view (so each left-out service has its reason), only those covering a need when placing, or one.
   */
  private async rank(
    m: EntityManager,
    referral: ReferralRow,
    opts: { onlyServiceId?: string; coveringNeeds?: boolean } = {},
  ): Promise<{ person: PersonProfile; ranking: Ranking }> {
    const rows: ServiceRow[] = await m.query(
      `SELECT p.service_id, p.organisation_id, p.needs, p.postcode_district, p.lat, p.lon, p.radius_km,
              p.min_age, p.max_age, p.languages, p.accessibility, p.mode,
              l.paused, l.max_active, l.weekly_intake, l.active, l.reserved,
              CASE WHEN l.week = $2 THEN l.offers_this_week ELSE 0 END AS offers_this_week,
              COALESCE(r.n, 0)::int AS recent_offers,
              EXISTS (SELECT 1 FROM offers o WHERE o.referral_id = $1 AND o.service_id = p.service_id) AS already_offered
         FROM service_profile p
         JOIN service_load l USING (service_id)
         LEFT JOIN LATERAL (SELECT count(*) AS n FROM offers o
                             WHERE o.service_id = p.service_id AND o.created_at > now() - make_interval(days => $3)) r ON true
        WHERE ($4::uuid IS NULL OR p.service_id = $4) AND ($5::text[] IS NULL OR p.needs && $5)
        ORDER BY p.service_id`,
      [
        referral.referral_id,
        isoWeekLondon(),
        FAIRNESS_WINDOW_DAYS,
        opts.onlyServiceId ?? null,
        opts.coveringNeeds ? referral.needs : null,
      ],
    );
    const districts = [
      ...new Set([
        ...(referral.postcode_district ? [referral.postcode_district] : []),
        ...rows.filter((r) => r.lat === null || r.lon === null).map((r) => r.postcode_district),
      ]),
    ];
    const centroids = await districtCentroids(m, districts);
    const person: PersonProfile = {
      needs: referral.needs,
      ageBand: referral.age_band,
      preferredLanguage: referral.preferred_language,
      accessibilityNeeds: referral.accessibility_needs,
      location: referral.postcode_district ? (centroids.get(referral.postcode_district) ?? null) : null,
    };
    const services: ServiceProfile[] = rows.map((r) => ({
      serviceId: r.service_id,
      organisationId: r.organisation_id,
      needs: r.needs,
      location:
        r.lat !== null && r.lon !== null
          ? { lat: Number(r.lat), lon: Number(r.lon) }
          : (centroids.get(r.postcode_district) ?? null),
      radiusKm: Number(r.radius_km),
      minAge: r.min_age,
      maxAge: r.max_age,
      languages: r.languages,
      accessibility: r.accessibility,
      mode: r.mode,
      paused: r.paused,
      maxActive: r.max_active,
      weeklyIntake: r.weekly_intake,
      active: r.active,
      reserved: r.reserved,
      offersThisWeek: r.offers_this_week,
      recentOffers: r.recent_offers,
      alreadyOffered: r.already_offered,
    }));
    return { person, ranking: rankServices(person, services) };
  }
}

/**
 * District centroids from `postcode_geography`: the district's own row when the file had districts,
 * else the mean of its full postcodes when it had those. A district in neither is absent.
 */
export async function districtCentroids(m: EntityManager, districts: string[]): Promise<Map<string, LatLon>> {
  if (districts.length === 0) return new Map();
  const rows: { district: string; lat: number | null; lon: number | null }[] = await m.query(
    `SELECT d AS district, COALESCE(g.lat, a.lat) AS lat, COALESCE(g.lon, a.lon) AS lon
       FROM unnest($1::text[]) AS d
       LEFT JOIN postcode_geography g ON g.code = d
       LEFT JOIN LATERAL (SELECT avg(x.lat) AS lat, avg(x.lon) AS lon FROM postcode_geography x
                           WHERE x.district = d AND x.kind = 'postcode') a ON g.code IS NULL`,
    [districts],
  );
  const out = new Map<string, LatLon>();
  for (const r of rows) {
    if (r.lat !== null && r.lon !== null) out.set(r.district, { lat: Number(r.lat), lon: Number(r.lon) });
  }
  return out;
}
