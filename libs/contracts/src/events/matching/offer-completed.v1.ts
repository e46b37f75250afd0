import { OFFER_OUTCOMES, type OfferOutcome } from '../../codes';
import { Code, Timestamp } from '../../field-validators';
import { OfferRef } from './offer-ref';

export const OFFER_COMPLETED_V1 = 'offer.completed.v1' as const;

/** The VCSO recorded how the placement ended; non-attendance hands the duty of care back to the link worker. */
export class OfferCompletedV1 extends OfferRef {
  @Code(OFFER_OUTCOMES, 'How the placement ended.')
  outcome: OfferOutcome;

  @Timestamp('When the outcome was recorded.')
  at: string;
}
