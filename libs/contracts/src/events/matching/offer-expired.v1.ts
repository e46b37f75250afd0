import { Timestamp } from '../../field-validators';
import { OfferRef } from './offer-ref';

export const OFFER_EXPIRED_V1 = 'offer.expired.v1' as const;

/** The VCSO did not answer in time: the place is released and the duty of care returns to the link worker. */
export class OfferExpiredV1 extends OfferRef {
  @Timestamp('When the offer expired.')
  at: string;
}
