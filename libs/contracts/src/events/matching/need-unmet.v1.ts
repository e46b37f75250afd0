import { NEED_CODES, UNMET_NEED_REASONS, type NeedCode, type UnmetNeedReason } from '../../codes';
import { Code, Codes, Id, PcnCode, PostcodeDistrict, Timestamp } from '../../field-validators';

export const NEED_UNMET_V1 = 'need.unmet.v1' as const;

/** Needs that could not be placed, by area: the evidence commissioners use to fund new capacity. */
export class NeedUnmetV1 {
  @Id('The referral.')
  referralId: string;

  @PcnCode()
  pcnCode: string;

  @Codes(NEED_CODES, 'Needs that could not be met.', 1)
  needs: NeedCode[];

  @PostcodeDistrict()
  postcodeDistrict: string;

  @Code(UNMET_NEED_REASONS, 'Why the needs are unmet.')
  reason: UnmetNeedReason;

  @Timestamp('When the need was found unmet.')
  at: string;
}
