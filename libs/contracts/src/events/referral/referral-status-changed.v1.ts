import {
  CLOSE_REASONS,
  REFERRAL_STATUSES,
  RESPONSIBLE_PARTIES,
  type CloseReason,
  type ReferralStatus,
  type ResponsibleParty,
} from '../../codes';
import { Code, Id, Optional, PcnCode, PracticeCode, Timestamp } from '../../field-validators';

export const REFERRAL_STATUS_CHANGED_V1 = 'referral.status-changed.v1' as const;

/** A referral's status, or who holds its duty of care, changed: the closed loop referrers follow. */
export class ReferralStatusChangedV1 {
  @Id('The referral.')
  referralId: string;

  @PcnCode()
  pcnCode: string;

  @PracticeCode()
  practiceCode: string;

  @Optional()
  @Code(REFERRAL_STATUSES, 'Status before the change; absent for the first status.')
  from?: ReferralStatus;

  @Code(REFERRAL_STATUSES, 'Status after the change.')
  to: ReferralStatus;

  @Optional()
  @Code(CLOSE_REASONS, 'Why it closed; present when `to` is closed.')
  closeReason?: CloseReason;

  @Code(RESPONSIBLE_PARTIES, 'Who holds the duty of care after the change.')
  responsibleParty: ResponsibleParty;

  @Timestamp('When the status changed.')
  changedAt: string;
}
