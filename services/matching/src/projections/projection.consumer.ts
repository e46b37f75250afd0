import { Controller } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import {
  CAPACITY_UPDATED_V1,
  CONSENT_DECLINED_V1,
  CONSENT_GRANTED_V1,
  CONSENT_WITHDRAWN_V1,
  REFERRAL_ASSESSED_V1,
  REFERRAL_CLOSED_V1,
  REFERRAL_RECEIVED_V1,
  type CapacityUpdatedV1,
  type ConsentDeclinedV1,
  type ConsentGrantedV1,
  type ConsentWithdrawnV1,
  type ReferralAssessedV1,
  type ReferralClosedV1,
  type ReferralReceivedV1,
} from '@sp/contracts';
import { EventContext } from '@sp/messaging';
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
  constructor(private readonly offers: OfferService) {}

  @EventPattern(REFERRAL_RECEIVED_V1)
  async received(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as ReferralReceivedV1;
    await ctx.getManager().query(
      UPSERT(
        `practice_code = EXCLUDED.practice_code, needs = CASE WHEN p.assessed_at IS NULL THEN EXCLUDED.needs ELSE p.needs END,
         age_band = EXCLUDED.age_band, postcode_district = EXCLUDED.postcode_district,
         preferred_language = EXCLUDED.preferred_language, accessibility_needs = EXCLUDED.accessibility_needs,
         received_at = EXCLUDED.received_at`,
        ', practice_code, needs, age_band, postcode_district, preferred_language, accessibility_needs, received_at',
        ', $3, $4, $5, $6, $7, $8, $9',
      ),
      [
        d.referralId,
        d.pcnCode,
        d.practiceCode,
        d.needs,
        d.ageBand,
        d.postcodeDistrict,
        d.preferredLanguage ?? null,
        d.accessibilityNeeds ?? [],
        d.receivedAt,
      ],
    );
  }

  @EventPattern(REFERRAL_ASSESSED_V1)
  async assessed(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as ReferralAssessedV1;
    await ctx
      .getManager()
      .query(
        UPSERT(
          `needs = EXCLUDED.needs, auto_offer = EXCLUDED.auto_offer, urgent = EXCLUDED.urgent, assessed_at = EXCLUDED.assessed_at`,
          ', needs, auto_offer, urgent, assessed_at',
          ', $3, $4, $5, $6',
        ),
        [d.referralId, d.pcnCode, d.needs, d.autoOffer, d.urgent ?? false, d.assessedAt],
      );
  }

  @EventPattern(REFERRAL_CLOSED_V1)
  async closed(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as ReferralClosedV1;
    const m = ctx.getManager();
    await m.query(UPSERT(`closed = true`, ', closed', ', true'), [d.referralId, d.pcnCode]);
    await this.offers.cancelOpenOffers(m, d.referralId, 'referral-closed');
  }

  @EventPattern(CONSENT_GRANTED_V1)
  async granted(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as ConsentGrantedV1;
    await ctx.getManager().query(
      // A withdrawal is final: a late grant never revives it.
      UPSERT(
        `consent = CASE WHEN p.consent = 'withdrawn' THEN p.consent ELSE 'granted' END,
         share_with_vcso = CASE WHEN p.consent = 'withdrawn' THEN false ELSE EXCLUDED.share_with_vcso END`,
        ', consent, share_with_vcso',
        `, 'granted', $3`,
      ),
      [d.referralId, d.pcnCode, d.shareWithVcso],
    );
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
    await m.query(UPSERT(`consent = 'withdrawn', share_with_vcso = false`, ', consent', `, 'withdrawn'`), [
      d.referralId,
      d.pcnCode,
    ]);
    await this.offers.cancelOpenOffers(m, d.referralId, 'consent-withdrawn');
  }

  /** The service's limits as its coordinator set them; matching itself owns the load. */
  @EventPattern(CAPACITY_UPDATED_V1)
  async capacity(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as CapacityUpdatedV1;
    await ctx.getManager().query(
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
      [d.serviceId, d.organisationId, d.maxActive, d.weeklyIntake, d.status === 'paused', d.changedAt],
    );
  }
}
