import { OFFER_CANCEL_REASONS, type OfferCancelReason } from '../../codes';
import { Code, Timestamp } from '../../field-validators';
import { OfferRef } from './offer-ref';

export const OFFER_CANCELLED_V1 = 'offer.cancelled.v1' as const;

/** The platform withdrew an open offer (consent withdrawn, referral closed): the place is released. */
export class OfferCancelledV1 extends OfferRef {
  @Code(OFFER_CANCEL_REASONS, 'Why the offer was cancelled.')
  reason: OfferCancelReason;

  @Timestamp('When the offer was cancelled.')
  at: string;
}
