import { CONSENT_METHODS, type ConsentMethod } from '../../codes';
import { Code, Id, PcnCode, Timestamp } from '../../field-validators';

export const CONSENT_DECLINED_V1 = 'consent.declined.v1' as const;

/** The person declined; the referral closes and nothing is shared. */
export class ConsentDeclinedV1 {
  @Id('The consent record.')
  consentId: string;

  @Id('The referral the decision covers.')
  referralId: string;

  @PcnCode()
  pcnCode: string;

  @Code(CONSENT_METHODS, 'How the decision was given.')
  method: ConsentMethod;

  @Timestamp('When the decision was recorded.')
  recordedAt: string;
}
