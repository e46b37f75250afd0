import { Id, PcnCode, Timestamp } from '../../field-validators';

export const OFFER_ACCEPTED_V1 = 'offer.accepted.v1' as const;

/** The VCSO accepted the person: the duty of care passes to the VCSO. */
export class OfferAcceptedV1 {
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

  @Timestamp('When the VCSO accepted.')
  at: string;
}
