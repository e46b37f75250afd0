import { NEED_CODES, type NeedCode } from '../../codes';
import { Codes, Flag, Id, Optional, PcnCode, Timestamp } from '../../field-validators';

export const REFERRAL_ASSESSED_V1 = 'referral.assessed.v1' as const;

/** The link worker assessed the person; the referral moves to matching. Notes stay in the service. */
export class ReferralAssessedV1 {
  @Id('The referral.')
  referralId: string;

  @PcnCode()
  pcnCode: string;

  @Codes(NEED_CODES, 'Needs agreed at assessment.', 1)
  needs: NeedCode[];

  @Flag('Whether matching may make an offer without the link worker choosing.')
  autoOffer: boolean;

  @Optional()
  @Flag('Whether the link worker marked the referral urgent.')
  urgent?: boolean;

  @Timestamp('When the assessment was recorded.')
  assessedAt: string;
}
