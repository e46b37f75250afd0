import {
  AGE_BANDS,
  NEED_CODES,
  REFERRAL_SOURCES,
  type AgeBand,
  type NeedCode,
  type ReferralSource,
} from '../../codes';
import {
  Code,
  Codes,
  Id,
  LanguageCode,
  Optional,
  PcnCode,
  PersonKey,
  PostcodeDistrict,
  PracticeCode,
  ShortCodes,
  Timestamp,
} from '../../field-validators';

export const REFERRAL_RECEIVED_V1 = 'referral.received.v1' as const;

/**
 * A referral was accepted by intake. The person appears only as a keyed pseudonym, an age band and a
 * postcode district; the identifiable record stays in the referral-intake database.
 */
export class ReferralReceivedV1 {
  @Id('The referral.')
  referralId: string;

  @PersonKey('Pseudonymous person key (HMAC of the NHS number with the platform key).')
  personKey: string;

  @PcnCode()
  pcnCode: string;

  @PracticeCode()
  practiceCode: string;

  @Codes(NEED_CODES, 'Needs named by the referrer.', 1)
  needs: NeedCode[];

  @Code(AGE_BANDS, 'Age band at the time of referral.')
  ageBand: AgeBand;

  @PostcodeDistrict()
  postcodeDistrict: string;

  @Optional()
  @LanguageCode()
  preferredLanguage?: string;

  @Optional()
  @ShortCodes('Accessibility needs as short codes (e.g. wheelchair, bsl), never prose.')
  accessibilityNeeds?: string[];

  @Optional()
  @Id('An open referral for the same person that this one may duplicate.')
  linkedReferralId?: string;

  @Code(REFERRAL_SOURCES, 'How the referral arrived: the API or a bulk import.')
  source: ReferralSource;

  @Timestamp('When intake accepted the referral.')
  receivedAt: string;
}
