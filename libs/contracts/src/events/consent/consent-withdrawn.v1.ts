import { Id, PcnCode, Timestamp } from '../../field-validators';

export const CONSENT_WITHDRAWN_V1 = 'consent.withdrawn.v1' as const;

/** The person withdrew consent: open offers are cancelled and all sharing stops. */
export class ConsentWithdrawnV1 {
  @Id('The consent record withdrawn.')
  consentId: string;

  @Id('The referral the consent covered.')
  referralId: string;

  @PcnCode()
  pcnCode: string;

  @Timestamp('When the withdrawal was recorded.')
  withdrawnAt: string;
}
