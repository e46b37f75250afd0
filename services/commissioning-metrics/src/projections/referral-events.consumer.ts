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
import { EventBatchContext, EventBatchPattern, EventContext } from '@sp/messaging';
import { distinctRounds } from '@sp/persistence';
import { AnalyticsPublisher } from './analytics-publisher';
import { ReferralFactsService } from './referral-facts.service';

/**
 * Intake's events into `referral_fact`, each in the inbox transaction (ctx.getManager()) so that a
 * redelivery is absorbed before it gets here. Every status change is published de-identified on
 * sp.analytics.events.v1 in that same transaction, as soon as the referral's details are known.
 *
 * Receipts and status changes, the two events of every referral and all of an import's, take a run of
 * their events at once: one statement per round of distinct referrals (see distinctRounds), not one
 * or two per event. Their writes come to the same rows whichever order they run in: a change that
 * runs before its receipt waits, pending, and the receipt publishes it.
 */
@Controller()
export class ReferralEventsConsumer {
  constructor(
    private readonly facts: ReferralFactsService,
    private readonly analytics: AnalyticsPublisher,
  ) {}

  @EventBatchPattern(REFERRAL_RECEIVED_V1)
  async onReceived(@Ctx() ctx: EventBatchContext): Promise<void> {
    // Payloads were validated against the contract by the consumer before the handler runs.
    const receipts = ctx.getEvents().map((e) => e.data as ReferralReceivedV1);
    const m = ctx.getManager();
    for (const round of distinctRounds(receipts, (d) => d.referralId.toLowerCase())) {
      const waiting = await this.facts.received(m, round);
      await this.analytics.flushStatusChanges(
        m,
        waiting.filter((w) => w.statusesPending).map((w) => w.referralId),
      );
      for (const w of waiting) if (w.outcomesPending) await this.analytics.flushOutcomes(m, w.referralId);
    }
  }

  @EventPattern(REFERRAL_ASSESSED_V1)
  async onAssessed(@Ctx() ctx: EventContext): Promise<void> {
    const data = ctx.getEvent().data as ReferralAssessedV1;
    await this.facts.assessed(ctx.getManager(), data.referralId, data.pcnCode, data.needs, data.assessedAt);
  }

  @EventBatchPattern(REFERRAL_STATUS_CHANGED_V1)
  async onStatusChanged(@Ctx() ctx: EventBatchContext): Promise<void> {
    const changes = ctx.getEvents().map((e) => {
      const data = e.data as ReferralStatusChangedV1;
      return { ...data, at: data.changedAt };
    });
    const m = ctx.getManager();
    for (const round of distinctRounds(changes, (c) => c.referralId.toLowerCase())) {
      const { published, behind } = await this.facts.statusChanged(m, round);
      if (published.length) await this.analytics.publishStatusChanges(m, published);
      await this.analytics.flushStatusChanges(m, behind);
    }
  }

  @EventPattern(REFERRAL_CLOSED_V1)
  async onClosed(@Ctx() ctx: EventContext): Promise<void> {
    const data = ctx.getEvent().data as ReferralClosedV1;
    await this.facts.closed(ctx.getManager(), data.referralId, data.pcnCode, data.reason, data.closedAt);
  }
}
