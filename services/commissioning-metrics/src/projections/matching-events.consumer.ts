import { Controller } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import {
  NEED_UNMET_V1,
  OFFER_ACCEPTED_V1,
  OFFER_CANCELLED_V1,
  OFFER_COMPLETED_V1,
  OFFER_DECLINED_V1,
  OFFER_EXPIRED_V1,
  OFFER_MADE_V1,
  REFERRAL_WAITLISTED_V1,
  type NeedUnmetV1,
  type OfferAcceptedV1,
  type OfferCancelledV1,
  type OfferCompletedV1,
  type OfferDeclinedV1,
  type OfferExpiredV1,
  type OfferMadeV1,
  type ReferralWaitlistedV1,
} from '@sp/contracts';
import { EventContext } from '@sp/messaging';
import { ReferralFactsService } from './referral-facts.service';

/**
 * Matching's events as referral milestones (first offer, acceptance, outcome, waitlisting), as what
 * became of each offer (per service), and as unmet need.
 */
@Controller()
export class MatchingEventsConsumer {
  constructor(private readonly facts: ReferralFactsService) {}

  @EventPattern(OFFER_MADE_V1)
  async onOfferMade(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as OfferMadeV1;
    await this.facts.milestone(ctx.getManager(), d.referralId, d.pcnCode, 'first_offer_at', d.madeAt);
    await this.facts.offer(ctx.getManager(), d, 'made_at', d.madeAt);
  }

  @EventPattern(OFFER_ACCEPTED_V1)
  async onOfferAccepted(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as OfferAcceptedV1;
    await this.facts.milestone(ctx.getManager(), d.referralId, d.pcnCode, 'accepted_at', d.at);
    await this.facts.offer(ctx.getManager(), d, 'accepted_at', d.at);
  }

  @EventPattern(OFFER_DECLINED_V1)
  async onOfferDeclined(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as OfferDeclinedV1;
    await this.facts.offer(ctx.getManager(), d, 'declined_at', d.at);
  }

  @EventPattern(OFFER_EXPIRED_V1)
  async onOfferExpired(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as OfferExpiredV1;
    await this.facts.offer(ctx.getManager(), d, 'expired_at', d.at);
  }

  @EventPattern(OFFER_CANCELLED_V1)
  async onOfferCancelled(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as OfferCancelledV1;
    await this.facts.offer(ctx.getManager(), d, 'cancelled_at', d.at);
  }

  @EventPattern(OFFER_COMPLETED_V1)
  async onOfferCompleted(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as OfferCompletedV1;
    const column = d.outcome === 'did-not-attend' ? 'did_not_attend_at' : 'completed_at';
    await this.facts.milestone(ctx.getManager(), d.referralId, d.pcnCode, column, d.at);
    await this.facts.offer(ctx.getManager(), d, column, d.at);
  }

  @EventPattern(REFERRAL_WAITLISTED_V1)
  async onWaitlisted(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as ReferralWaitlistedV1;
    await this.facts.milestone(ctx.getManager(), d.referralId, d.pcnCode, 'waitlisted_at', d.waitlistedAt);
  }

  @EventPattern(NEED_UNMET_V1)
  async onNeedUnmet(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as NeedUnmetV1;
    await this.facts.unmet(ctx.getManager(), { ...d });
  }
}
