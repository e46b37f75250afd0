import { Flag, Timestamp } from '../../field-validators';
import { OfferRef } from './offer-ref';

export const OFFER_MADE_V1 = 'offer.made.v1' as const;

/**
 * A place at a VCSO service was offered and reserved for a referral. Made only once consent covering
 * the VCSO stands; the VCSO reads contact details through the API, never from this event.
 */
export class OfferMadeV1 extends OfferRef {
  @Flag('Whether matching made the offer on its own (PCN auto-offer) rather than a link worker.')
  auto: boolean;

  @Timestamp('When the offer lapses if the VCSO has not answered.')
  expiresAt: string;

  @Timestamp('When the offer was made.')
  madeAt: string;
}
