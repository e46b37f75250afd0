import { Controller } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import {
  OFFER_ACCEPTED_V1,
  OFFER_CANCELLED_V1,
  OFFER_COMPLETED_V1,
  OFFER_DECLINED_V1,
  OFFER_EXPIRED_V1,
  OFFER_MADE_V1,
  type OfferAcceptedV1,
  type OfferCompletedV1,
  type OfferMadeV1,
} from '@sp/contracts';
import { EventContext } from '@sp/messaging';
import type { ActivityKind } from './offer-activity.entity';
import { CapacityService } from './capacity.service';

/** The fields every offer event shares. */
type OfferEventData = Pick<OfferAcceptedV1, 'offerId' | 'serviceId' | 'at'>;

/**
 * Keeps each service's load current from matching's offer events. Each handler runs in the inbox
 * transaction (a redelivered event is absorbed before it gets here) and publishes the new load through
 * the outbox in that same transaction.
 */
@Controller()
export class OfferEventsConsumer {
  constructor(private readonly capacity: CapacityService) {}

  @EventPattern(OFFER_MADE_V1)
  async onMade(@Ctx() ctx: EventContext): Promise<void> {
    // Payloads were validated against the contract by the consumer before the handler runs.
    const data = ctx.getEvent().data as OfferMadeV1;
    await this.apply(ctx, 'offered', { offerId: data.offerId, serviceId: data.serviceId, at: data.madeAt });
  }

  @EventPattern(OFFER_ACCEPTED_V1)
  onAccepted(@Ctx() ctx: EventContext): Promise<void> {
    return this.apply(ctx, 'accepted', ctx.getEvent().data as OfferEventData);
  }

  @EventPattern(OFFER_DECLINED_V1)
  onDeclined(@Ctx() ctx: EventContext): Promise<void> {
    return this.apply(ctx, 'declined', ctx.getEvent().data as OfferEventData);
  }

  @EventPattern(OFFER_EXPIRED_V1)
  onExpired(@Ctx() ctx: EventContext): Promise<void> {
    return this.apply(ctx, 'expired', ctx.getEvent().data as OfferEventData);
  }

  @EventPattern(OFFER_CANCELLED_V1)
  onCancelled(@Ctx() ctx: EventContext): Promise<void> {
    return this.apply(ctx, 'cancelled', ctx.getEvent().data as OfferEventData);
  }

  @EventPattern(OFFER_COMPLETED_V1)
  onCompleted(@Ctx() ctx: EventContext): Promise<void> {
    const data = ctx.getEvent().data as OfferCompletedV1;
    return this.apply(ctx, data.outcome === 'did-not-attend' ? 'did-not-attend' : 'completed', data);
  }

  private apply(ctx: EventContext, kind: ActivityKind, data: OfferEventData): Promise<void> {
    return this.capacity.applyOffer(ctx.getManager(), {
      ceId: ctx.getEvent().id,
      offerId: data.offerId,
      serviceId: data.serviceId,
      kind,
      at: new Date(data.at),
    });
  }
}
