import {
  NEED_CODES,
  OUTCOME_MEASURES,
  OUTCOME_STAGES,
  type NeedCode,
  type OutcomeMeasure,
  type OutcomeStage,
} from '../../codes';
import {
  Code,
  Codes,
  Id,
  Optional,
  PcnCode,
  PracticeCode,
  Timestamp,
  WellbeingScore,
  WellbeingScores,
} from '../../field-validators';

export const OUTCOME_RECORDED_V1 = 'outcome.recorded.v1' as const;

/**
 * A link worker recorded a wellbeing measure (ONS4 or SWEMWBS) for a referral, before or after the
 * person's support. Scores and codes only: the answers are numbers, never the person's own words.
 */
export class OutcomeRecordedV1 {
  @Id('The outcome record.')
  outcomeId: string;

  @Id('The referral.')
  referralId: string;

  @PcnCode()
  pcnCode: string;

  @PracticeCode()
  practiceCode: string;

  @Optional()
  @Id("The VCSO service of the referral's accepted offer, else of its latest offer; absent before any.")
  serviceId?: string;

  @Optional()
  @Id('The VCSO organisation running that service.')
  organisationId?: string;

  @Codes(NEED_CODES, 'Needs of the referral when the outcome was recorded.', 1)
  needs: NeedCode[];

  @Code(OUTCOME_MEASURES, 'The measure: ons4 (four items 0-10) or swemwbs (seven items 1-5).')
  measure: OutcomeMeasure;

  @Code(OUTCOME_STAGES, 'Baseline (before support) or follow-up (after).')
  stage: OutcomeStage;

  @WellbeingScores(
    'Item scores in questionnaire order. ons4: life satisfaction, worthwhile, happy yesterday, anxious ' +
      'yesterday (for anxiety lower is better); swemwbs: the seven items.',
  )
  scores: number[];

  @Optional()
  @WellbeingScore(
    7,
    35,
    'SWEMWBS metric score (raw total 7-35 converted by the published table); absent for ons4.',
  )
  total?: number;

  @Timestamp('When the outcome was recorded.')
  recordedAt: string;
}
