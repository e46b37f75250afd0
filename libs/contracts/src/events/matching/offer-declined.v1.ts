import { OFFER_DECLINE_REASONS, type OfferDeclineReason } from '../../codes';
import { Code, Id, PcnCode, Timestamp } from '../../field-validators';

export const OFFER_DECLINED_V1 = 'offer.declined.v1' as const;

/** The VCSO declined: the place is released and the duty of care returns to the link worker. */
export class OfferDeclinedV1 {
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

  @Code(OFFER_DECLINE_REASONS, 'Why the VCSO declined.')
  reason: OfferDeclineReason;

  @Timestamp('When the VCSO declined.')
  at: string;
}
