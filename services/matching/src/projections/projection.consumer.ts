import { Controller } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import {
  CAPACITY_UPDATED_V1,
  CONSENT_DECLINED_V1,
  CONSENT_GRANTED_V1,
  CONSENT_WITHDRAWN_V1,
  PCN_REGISTERED_V1,
  REFERRAL_ASSESSED_V1,
  REFERRAL_CLOSED_V1,
  REFERRAL_RECEIVED_V1,
  SERVICE_REGISTERED_V1,
  type CapacityUpdatedV1,
  type ConsentDeclinedV1,
  type ConsentGrantedV1,
  type ConsentWithdrawnV1,
  type PcnRegisteredV1,
  type ReferralAssessedV1,
  type ReferralClosedV1,
  type ReferralReceivedV1,
  type ServiceRegisteredV1,
} from '@sp/contracts';
import { commitSoon, EventBatchContext, EventBatchPattern, EventContext } from '@sp/messaging';
import { distinctRounds } from '@sp/persistence';
import { MatchService } from '../matches/match.service';
import { OfferService } from '../offers/offer.service';

// Each upsert creates the row when it is the first event matching sees for a referral: events of
// different topics (referral, consent) have no order between them.
const UPSERT = (set: string, cols: string, values: string) => `
  INSERT INTO referral_projection AS p (referral_id, pcn_code${cols}) VALUES ($1, $2${values})
  ON CONFLICT (referral_id) DO UPDATE SET ${set}, updated_at = now()`;

/**
 * Matching's local picture of the world, from other services' events only (no synchronous calls on
 * the referral path): referrals ready for matching, consent state, and each service's limits.
 */
@Controller()
export class ProjectionConsumer {
  constructor(
    private readonly offers: OfferService,
    private readonly matches: MatchService,
  ) {}

  /**
   * Takes a run of receipts at once (in an import, thousands arrive back to back): one statement per
   * round of distinct referrals. It changes only the columns of the receipt, and keeps the needs agreed
   * at an assessment, so it comes to the same row whatever runs before or after it.
   */
  @EventBatchPattern(REFERRAL_RECEIVED_V1)
  async received(@Ctx() ctx: EventBatchContext): Promise<void> {
    const all = ctx.getEvents().map((e) => e.data as ReferralReceivedV1);
    for (const round of distinctRounds(all, (d) => d.referralId)) {
      const rows = round.map((d) => ({
        referral_id: d.referralId,
        pcn_code: d.pcnCode,
        practice_code: d.practiceCode,
        needs: d.needs,
        age_band: d.ageBand,
        postcode_district: d.postcodeDistrict,
        preferred_language: d.preferredLanguage ?? null,
        accessibility_needs: d.accessibilityNeeds ?? [],
        received_at: d.receivedAt,
      }));
      await ctx.getManager().query(
        `INSERT INTO referral_projection AS p (referral_id, pcn_code, practice_code, needs, age_band,
           postcode_district, preferred_language, accessibility_needs, received_at)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(referral_id uuid, pcn_code text, practice_code text,
           needs text[], age_band text, postcode_district text, preferred_language text,
           accessibility_needs text[], received_at timestamptz)
         ON CONFLICT (referral_id) DO UPDATE SET
           practice_code = EXCLUDED.practice_code,
           needs = CASE WHEN p.assessed_at IS NULL THEN EXCLUDED.needs ELSE p.needs END,
           age_band = EXCLUDED.age_band, postcode_district = EXCLUDED.postcode_district,
           preferred_language = EXCLUDED.preferred_language, accessibility_needs = EXCLUDED.accessibility_needs,
           received_at = EXCLUDED.received_at, updated_at = now()`,
        [JSON.stringify(rows)],
      );
    }
  }

  /** An assessment asking for autoOffer gets its best candidate offered here, in this transaction. */
  @EventPattern(REFERRAL_ASSESSED_V1)
  async assessed(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as ReferralAssessedV1;
    const m = ctx.getManager();
    await m.query(
      UPSERT(
        `needs = EXCLUDED.needs, auto_offer = EXCLUDED.auto_offer, urgent = EXCLUDED.urgent,
         assessed_at = EXCLUDED.assessed_at, auto_pending = EXCLUDED.auto_pending, unmet_at = NULL`,
        ', needs, auto_offer, urgent, assessed_at, auto_pending',
        ', $3, $4, $5, $6, $4',
      ),
      [d.referralId, d.pcnCode, d.needs, d.autoOffer, d.urgent ?? false, d.assessedAt],
    );
    await this.matches.onReady(m, d.referralId);
  }

  @EventPattern(REFERRAL_CLOSED_V1)
  async closed(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as ReferralClosedV1;
    const m = ctx.getManager();
    await m.query(UPSERT(`closed = true, auto_pending = false, waitlisted_at = NULL`, ', closed', ', true'), [
      d.referralId,
      d.pcnCode,
    ]);
    const freed = await this.offers.cancelOpenOffers(m, d.referralId, 'referral-closed');
    await this.matches.fillFreedPlaces(m, freed);
  }

  @EventPattern(CONSENT_GRANTED_V1)
  async granted(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as ConsentGrantedV1;
    const m = ctx.getManager();
    await m.query(
      // A withdrawal is final: a late grant never revives it.
      UPSERT(
        `consent = CASE WHEN p.consent = 'withdrawn' THEN p.consent ELSE 'granted' END,
         share_with_vcso = CASE WHEN p.consent = 'withdrawn' THEN false ELSE EXCLUDED.share_with_vcso END`,
        ', consent, share_with_vcso',
        `, 'granted', $3`,
      ),
      [d.referralId, d.pcnCode, d.shareWithVcso],
    );
    // Consent and assessment come on different topics: whichever arrives last makes the referral ready.
    await this.matches.onReady(m, d.referralId);
  }

  @EventPattern(CONSENT_DECLINED_V1)
  async declined(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as ConsentDeclinedV1;
    await ctx
      .getManager()
      .query(UPSERT(`consent = 'declined', share_with_vcso = false`, ', consent', `, 'declined'`), [
        d.referralId,
        d.pcnCode,
      ]);
  }

  /** Invariant 2: a withdrawal cancels open offers and frees their places within this one event hop. */
  @EventPattern(CONSENT_WITHDRAWN_V1)
  async withdrawn(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as ConsentWithdrawnV1;
    const m = ctx.getManager();
    await m.query(
      UPSERT(
        `consent = 'withdrawn', share_with_vcso = false, auto_pending = false, waitlisted_at = NULL`,
        ', consent',
        `, 'withdrawn'`,
      ),
      [d.referralId, d.pcnCode],
    );
    const freed = await this.offers.cancelOpenOffers(m, d.referralId, 'consent-withdrawn');
    await this.matches.fillFreedPlaces(m, freed);
  }

  /**
   * A PCN's settings and ICS, the latest registration winning (a redelivery or an older one changes
   * nothing). Offers made from now on lapse after the PCN's own `offerExpiryDays`; offers already
   * made keep their expiry. `autoOffer` needs nothing more here: intake applies it as the default
   * of the assessments it publishes, which carry the resolved flag.
   */
  @EventPattern(PCN_REGISTERED_V1)
  async pcnRegistered(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as PcnRegisteredV1;
    await ctx.getManager().query(
      `INSERT INTO pcn_settings AS p (pcn_code, ics_code, offer_expiry_days, auto_offer, registered_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (pcn_code) DO UPDATE SET
         ics_code = EXCLUDED.ics_code,
         offer_expiry_days = EXCLUDED.offer_expiry_days,
         auto_offer = EXCLUDED.auto_offer,
         registered_at = EXCLUDED.registered_at,
         updated_at = now()
       WHERE p.registered_at <= EXCLUDED.registered_at`,
      [d.pcnCode, d.icsCode, d.settings.offerExpiryDays, d.settings.autoOffer, d.registeredAt],
    );
  }

  /**
   * The service's limits as its coordinator set them; matching itself owns the load. Raised limits
   * or a reopening may open places: the waitlist gets them in this transaction.
   *
   * vcso-capacity announces every change of a service's load with its settings, so most of these
   * repeat settings matching holds already (an offer made here comes back as one). Those are only
   * noted as seen, in one statement that locks nothing offers wait for; the service's `service_load`
   * row is locked only for limits that changed. Seen-times are kept for every event, so an older
   * event that arrives late (a service's events moving partition when a topic grows) never wins; one
   * of the same millisecond is compared like a newer one.
   */
  @EventPattern(CAPACITY_UPDATED_V1)
  async capacity(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as CapacityUpdatedV1;
    const m = ctx.getManager();
    const paused = d.status === 'paused';
    const [check]: { newer: boolean; known: boolean }[] = await m.query(
      `WITH seen AS (
         INSERT INTO service_settings_seen AS s (service_id, seen_at) VALUES ($1, $2)
         ON CONFLICT (service_id) DO UPDATE SET seen_at = EXCLUDED.seen_at WHERE s.seen_at <= EXCLUDED.seen_at
         RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM seen) AS newer,
              COALESCE(l.settings_at > $2 OR (l.organisation_id = $3 AND l.max_active = $4
                AND l.weekly_intake = $5 AND l.paused = $6), false) AS known
         FROM (SELECT 1) AS one LEFT JOIN service_load l ON l.service_id = $1`,
      [d.serviceId, d.changedAt, d.organisationId, d.maxActive, d.weeklyIntake, paused],
    );
    // Older than what matching holds, or the limits it holds already: nothing to change.
    if (!check.newer || check.known) return;
    await m.query(
      `INSERT INTO service_load AS s (service_id, organisation_id, max_active, weekly_intake, paused, settings_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (service_id) DO UPDATE SET
         organisation_id = EXCLUDED.organisation_id,
         max_active = EXCLUDED.max_active,
         weekly_intake = EXCLUDED.weekly_intake,
         paused = EXCLUDED.paused,
         settings_at = EXCLUDED.settings_at,
         updated_at = now()
       WHERE s.settings_at <= EXCLUDED.settings_at`,
      [d.serviceId, d.organisationId, d.maxActive, d.weeklyIntake, paused, d.changedAt],
    );
    // The service's row is locked until commit, and every offer there queues for it.
    commitSoon(m);
    await this.matches.fillFreedPlaces(m, [d.serviceId]);
  }

  /**
   * What a service offers and where, for choosing it. The limits seed the load row too when this is
   * the first matching hears of the service; a later capacity.updated.v1 (changedAt after
   * registeredAt) overrides them.
   */
  @EventPattern(SERVICE_REGISTERED_V1)
  async registered(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as ServiceRegisteredV1;
    const m = ctx.getManager();
    await m.query(
      `INSERT INTO service_profile (service_id, organisation_id, ics_code, needs, postcode_district, lat, lon,
         radius_km, min_age, max_age, languages, accessibility, mode, registered_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (service_id) DO UPDATE SET
         organisation_id = EXCLUDED.organisation_id, ics_code = EXCLUDED.ics_code, needs = EXCLUDED.needs,
         postcode_district = EXCLUDED.postcode_district, lat = EXCLUDED.lat, lon = EXCLUDED.lon,
         radius_km = EXCLUDED.radius_km, min_age = EXCLUDED.min_age, max_age = EXCLUDED.max_age,
         languages = EXCLUDED.languages, accessibility = EXCLUDED.accessibility, mode = EXCLUDED.mode,
         registered_at = EXCLUDED.registered_at, updated_at = now()`,
      [
        d.serviceId,
        d.organisationId,
        d.icsCode,
        d.needs,
        d.postcodeDistrict,
        d.locationKnown ? (d.lat ?? null) : null,
        d.locationKnown ? (d.lon ?? null) : null,
        d.radiusKm,
        d.minAge ?? null,
        d.maxAge ?? null,
        d.languages,
        d.accessibility,
        d.mode,
        d.registeredAt,
      ],
    );
    await m.query(
      `INSERT INTO service_load (service_id, organisation_id, max_active, weekly_intake, settings_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (service_id) DO NOTHING`,
      [d.serviceId, d.organisationId, d.maxActive, d.weeklyIntake, d.registeredAt],
    );
    await this.matches.fillFreedPlaces(m, [d.serviceId]);
  }
}
