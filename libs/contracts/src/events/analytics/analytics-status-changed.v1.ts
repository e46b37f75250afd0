import {
  AGE_BANDS,
  NEED_CODES,
  REFERRAL_STATUSES,
  type AgeBand,
  type NeedCode,
  type ReferralStatus,
} from '../../codes';
import {
  Code,
  Codes,
  IcsCode,
  Optional,
  PcnCode,
  PersonKey,
  PostcodeDistrict,
  PracticeCode,
  Timestamp,
} from '../../field-validators';

export const ANALYTICS_STATUS_CHANGED_V1 = 'analytics.status-changed.v1' as const;

/**
 * De-identified twin of referral.status-changed for ICS dashboards. It carries no referral id: the
 * person key is keyed per ICS, so one ICS's stream cannot be joined with another's or with the
 * operational topics. Keyed by that person key, which keeps one person's changes in order.
 */
export class AnalyticsStatusChangedV1 {
  @PersonKey(
    "Pseudonymous person key for this ICS: HMAC-SHA256 under the ICS's own key of the platform person key " +
      '(itself a keyed HMAC of the NHS number). Stable for one person within one ICS; unlinkable across ICSs.',
  )
  personKey: string;

  @IcsCode()
  icsCode: string;

  @PcnCode()
  pcnCode: string;

  @PracticeCode()
  practiceCode: string;

  @Code(AGE_BANDS, 'Age band.')
  ageBand: AgeBand;

  @PostcodeDistrict()
  postcodeDistrict: string;

  @Codes(NEED_CODES, 'Needs of the referral.', 1)
  needs: NeedCode[];

  @Optional()
  @Code(REFERRAL_STATUSES, 'Status before the change; absent for the first status.')
  from?: ReferralStatus;

  @Code(REFERRAL_STATUSES, 'Status after the change.')
  to: ReferralStatus;

  @Timestamp('When the status changed.')
  at: string;
}
