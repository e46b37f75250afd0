import { OFFER_CANCEL_REASONS, type OfferCancelReason } from '../../codes';
import { Code, Id, PcnCode, Timestamp } from '../../field-validators';

export const OFFER_CANCELLED_V1 = 'offer.cancelled.v1' as const;

/** The platform withdrew an open offer (consent withdrawn, referral closed): the place is released. */
export class OfferCancelledV1 {
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

  @Code(OFFER_CANCEL_REASONS, 'Why the offer was cancelled.')
  reason: OfferCancelReason;

  @Timestamp('When the offer was cancelled.')
  at: string;
}
