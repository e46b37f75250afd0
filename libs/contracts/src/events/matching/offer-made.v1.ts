import { Flag, Id, PcnCode, Timestamp } from '../../field-validators';

export const OFFER_MADE_V1 = 'offer.made.v1' as const;

/**
 * A place at a VCSO service was offered and reserved for a referral. Made only once consent covering
 * the VCSO stands; the VCSO reads contact details through the API, never from this event.
 */
export class OfferMadeV1 {
  @Id('The offer.')
  offerId: string;

  @Id('The referral the offer is for.')
  referralId: string;

  @Id('The VCSO service offered.')
  serviceId: string;

  @Id('The VCSO organisation running the service.')
  organisationId: string;

  @PcnCode()
  pcnCode: string;

  @Flag('Whether matching made the offer on its own (PCN auto-offer) rather than a link worker.')
  auto: boolean;

  @Timestamp('When the offer lapses if the VCSO has not answered.')
  expiresAt: string;

  @Timestamp('When the offer was made.')
  madeAt: string;
}
