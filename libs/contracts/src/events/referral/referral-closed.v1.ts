import { CLOSE_REASONS, type CloseReason } from '../../codes';
import { Code, Id, PcnCode, Timestamp } from '../../field-validators';

export const REFERRAL_CLOSED_V1 = 'referral.closed.v1' as const;

/** A referral was closed; consumers release anything they still hold for it. */
export class ReferralClosedV1 {
  @Id('The referral.')
  referralId: string;

  @PcnCode()
  pcnCode: string;

  @Code(CLOSE_REASONS, 'Why the referral was closed.')
  reason: CloseReason;

  @Timestamp('When the referral was closed.')
  closedAt: string;
}
