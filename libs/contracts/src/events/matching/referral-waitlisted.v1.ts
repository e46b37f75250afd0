import { NEED_CODES, type NeedCode } from '../../codes';
import { Codes, Id, PcnCode, PostcodeDistrict, Timestamp } from '../../field-validators';

export const REFERRAL_WAITLISTED_V1 = 'referral.waitlisted.v1' as const;

/** No suitable service had room: the referral waits for capacity to open. */
export class ReferralWaitlistedV1 {
  @Id('The referral.')
  referralId: string;

  @PcnCode()
  pcnCode: string;

  @Codes(NEED_CODES, 'Needs still to be met.', 1)
  needs: NeedCode[];

  @PostcodeDistrict()
  postcodeDistrict: string;

  @Timestamp('When the referral was waitlisted.')
  waitlistedAt: string;
}
