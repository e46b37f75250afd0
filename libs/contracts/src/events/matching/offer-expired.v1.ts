import { Id, PcnCode, Timestamp } from '../../field-validators';

export const OFFER_EXPIRED_V1 = 'offer.expired.v1' as const;

/** The VCSO did not answer in time: the place is released and the duty of care returns to the link worker. */
export class OfferExpiredV1 {
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

  @Timestamp('When the offer expired.')
  at: string;
}
