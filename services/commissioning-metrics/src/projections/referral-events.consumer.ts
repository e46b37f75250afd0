import { Controller } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import {
  REFERRAL_ASSESSED_V1,
  REFERRAL_CLOSED_V1,
  REFERRAL_RECEIVED_V1,
  REFERRAL_STATUS_CHANGED_V1,
  type ReferralAssessedV1,
  type ReferralClosedV1,
  type ReferralReceivedV1,
  type ReferralStatusChangedV1,
} from '@sp/contracts';
import { EventContext } from '@sp/messaging';
import { AnalyticsPublisher } from './analytics-publisher';
import { ReferralFactsService } from './referral-facts.service';

/**
 * Intake's events into `referral_fact`, each in the inbox transaction (ctx.getManager()) so that a
 * redelivery is absorbed before it gets here. Every status change is published de-identified on
 * sp.analytics.events.v1 in that same transaction, as soon as the referral's details are known.
 */
@Controller()
export class ReferralEventsConsumer {
  constructor(
    private readonly facts: ReferralFactsService,
    private readonly analytics: AnalyticsPublisher,
  ) {}

  @EventPattern(REFERRAL_RECEIVED_V1)
  async onReceived(@Ctx() ctx: EventContext): Promise<void> {
    // Payloads were validated against the contract by the consumer before the handler runs.
    const data = ctx.getEvent().data as ReferralReceivedV1;
    const m = ctx.getManager();
    const waiting = await this.facts.received(m, data);
    if (waiting.statusesPending) await this.analytics.flushStatusChanges(m, data.referralId);
    if (waiting.outcomesPending) await this.analytics.flushOutcomes(m, data.referralId);
  }

  @EventPattern(REFERRAL_ASSESSED_V1)
  async onAssessed(@Ctx() ctx: EventContext): Promise<void> {
    const data = ctx.getEvent().data as ReferralAssessedV1;
    await this.facts.assessed(ctx.getManager(), data.referralId, data.pcnCode, data.needs, data.assessedAt);
  }

  @EventPattern(REFERRAL_STATUS_CHANGED_V1)
  async onStatusChanged(@Ctx() ctx: EventContext): Promise<void> {
    const data = ctx.getEvent().data as ReferralStatusChangedV1;
    const m = ctx.getManager();
    const now = await this.facts.statusChanged(m, { ...data, at: data.changedAt });
    if (now) await this.analytics.publishStatusChanges(m, [now]);
    else await this.analytics.flushStatusChanges(m, data.referralId);
  }

  @EventPattern(REFERRAL_CLOSED_V1)
  async onClosed(@Ctx() ctx: EventContext): Promise<void> {
    const data = ctx.getEvent().data as ReferralClosedV1;
    await this.facts.closed(ctx.getManager(), data.referralId, data.pcnCode, data.reason, data.closedAt);
  }
}
