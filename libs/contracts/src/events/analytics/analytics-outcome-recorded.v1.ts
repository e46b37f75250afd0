import {
  AGE_BANDS,
  NEED_CODES,
  OUTCOME_MEASURES,
  OUTCOME_STAGES,
  type AgeBand,
  type NeedCode,
  type OutcomeMeasure,
  type OutcomeStage,
} from '../../codes';
import {
  Code,
  Codes,
  IcsCode,
  Id,
  Optional,
  PcnCode,
  PersonKey,
  PostcodeDistrict,
  PracticeCode,
  Timestamp,
  WellbeingScore,
  WellbeingScores,
} from '../../field-validators';

export const ANALYTICS_OUTCOME_RECORDED_V1 = 'analytics.outcome-recorded.v1' as const;

/**
 * De-identified twin of outcome.recorded for ICS dashboards: like analytics.status-changed, no referral
 * id, and the person key re-keyed per ICS. A dashboard pairs a baseline with its follow-up by person key
 * and measure, and applies the small-number rule to whatever it publishes.
 */
export class AnalyticsOutcomeRecordedV1 {
  @PersonKey(
    'Pseudonymous person key for this ICS (as in analytics.status-changed.v1): stable for one person within one ICS.',
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
  @Id('The VCSO service the person was placed with, when known.')
  serviceId?: string;

  @Code(OUTCOME_MEASURES, 'The measure: ons4 or swemwbs.')
  measure: OutcomeMeasure;

  @Code(OUTCOME_STAGES, 'Baseline or follow-up.')
  stage: OutcomeStage;

  @WellbeingScores('Item scores in questionnaire order (see outcome.recorded.v1).')
  scores: number[];

  @Optional()
  @WellbeingScore(7, 35, 'SWEMWBS metric score; absent for ons4.')
  total?: number;

  @Timestamp('When the outcome was recorded.')
  at: string;
}
