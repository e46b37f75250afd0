import { CONSENT_METHODS, type ConsentMethod } from '../../codes';
import { Code, Flag, Id, PcnCode, Timestamp } from '../../field-validators';

export const CONSENT_GRANTED_V1 = 'consent.granted.v1' as const;

/** The person consented. Only `shareWithVcso: true` lets anything about them reach a VCSO. */
export class ConsentGrantedV1 {
  @Id('The consent record.')
  consentId: string;

  @Id('The referral the consent covers.')
  referralId: string;

  @PcnCode()
  pcnCode: string;

  @Code(CONSENT_METHODS, 'How the consent was given.')
  method: ConsentMethod;

  @Flag('Whether the person agreed that their contact details may be shared with the VCSO.')
  shareWithVcso: boolean;

  @Timestamp('When the consent was recorded.')
  recordedAt: string;
}
