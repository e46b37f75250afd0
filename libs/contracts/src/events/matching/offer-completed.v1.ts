import { OFFER_OUTCOMES, type OfferOutcome } from '../../codes';
import { Code, Id, PcnCode, Timestamp } from '../../field-validators';

export const OFFER_COMPLETED_V1 = 'offer.completed.v1' as const;

/** The VCSO recorded how the placement ended; non-attendance hands the duty of care back to the link worker. */
export class OfferCompletedV1 {
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

  @Code(OFFER_OUTCOMES, 'How the placement ended.')
  outcome: OfferOutcome;

  @Timestamp('When the outcome was recorded.')
  at: string;
}
