import { OFFER_DECLINE_REASONS, type OfferDeclineReason } from '../../codes';
import { Code, Timestamp } from '../../field-validators';
import { OfferRef } from './offer-ref';

export const OFFER_DECLINED_V1 = 'offer.declined.v1' as const;

/** The VCSO declined: the place is released and the duty of care returns to the link worker. */
export class OfferDeclinedV1 extends OfferRef {
  @Code(OFFER_DECLINE_REASONS, 'Why the VCSO declined.')
  reason: OfferDeclineReason;

  @Timestamp('When the VCSO declined.')
  at: string;
}
