import { Controller } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import {
  CONSENT_DECLINED_V1,
  CONSENT_GRANTED_V1,
  CONSENT_WITHDRAWN_V1,
  type ConsentDeclinedV1,
  type ConsentGrantedV1,
  type ConsentWithdrawnV1,
} from '@sp/contracts';
import { EventContext } from '@sp/messaging';
import { ReferralFactsService } from './referral-facts.service';

/** Consent decisions as milestones of the referral they cover. */
@Controller()
export class ConsentEventsConsumer {
  constructor(private readonly facts: ReferralFactsService) {}

  @EventPattern(CONSENT_GRANTED_V1)
  async onGranted(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as ConsentGrantedV1;
    await this.facts.milestone(ctx.getManager(), d.referralId, d.pcnCode, 'consented_at', d.recordedAt);
  }

  @EventPattern(CONSENT_DECLINED_V1)
  async onDeclined(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as ConsentDeclinedV1;
    await this.facts.milestone(
      ctx.getManager(),
      d.referralId,
      d.pcnCode,
      'consent_declined_at',
      d.recordedAt,
    );
  }

  @EventPattern(CONSENT_WITHDRAWN_V1)
  async onWithdrawn(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as ConsentWithdrawnV1;
    await this.facts.milestone(
      ctx.getManager(),
      d.referralId,
      d.pcnCode,
      'consent_withdrawn_at',
      d.withdrawnAt,
    );
  }
}
