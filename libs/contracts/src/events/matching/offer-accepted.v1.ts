import { Timestamp } from '../../field-validators';
import { OfferRef } from './offer-ref';

export const OFFER_ACCEPTED_V1 = 'offer.accepted.v1' as const;

/** The VCSO accepted the person: the duty of care passes to the VCSO. */
export class OfferAcceptedV1 extends OfferRef {
  @Timestamp('When the VCSO accepted.')
  at: string;
}
