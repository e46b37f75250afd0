import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OUTCOME_MEASURES } from '@sp/contracts';
import { DisclosureView } from './metrics.dto';

/** The items reported per measure: ONS4 question by question, SWEMWBS as its metric score. */
export const OUTCOME_ITEMS = {
  ons4: [
    { item: 'lifeSatisfaction', higherIsBetter: true },
    { item: 'worthwhile', higherIsBetter: true },
    { item: 'happiness', higherIsBetter: true },
    // "How anxious did you feel yesterday?": a fall is the improvement.
    { item: 'anxiety', higherIsBetter: false },
  ],
  swemwbs: [{ item: 'metricScore', higherIsBetter: true }],
} as const;

export class OutcomeScoreView {
  @ApiProperty({ enum: ['lifeSatisfaction', 'worthwhile', 'happiness', 'anxiety', 'metricScore'] })
  item: string;
  @ApiProperty({
    description:
      'Whether a higher score is better. False for ONS4 anxiety: a negative change is an improvement.',
  })
  higherIsBetter: boolean;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Mean at baseline (2 places); null when suppressed.',
  })
  meanBaseline: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Mean at follow-up (2 places); null when suppressed.',
  })
  meanFollowUp: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Mean of follow-up minus baseline over the same pairs (2 places); null when suppressed.',
  })
  meanChange: number | null;
}

/** One service, need and measure: the referrals with both a baseline and a follow-up, and their means. */
export class OutcomeGroupView {
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'uuid',
    description:
      'The service of the accepted (else latest) offer when the follow-up was recorded; null for none.',
  })
  serviceId: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) organisationId: string | null;
  @ApiProperty({ description: 'A need of the referral (a referral with two needs counts under each).' })
  need: string;
  @ApiProperty({ enum: OUTCOME_MEASURES }) measure: string;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Referrals with both a baseline and a follow-up of this measure; small-number rule for an ICS.',
  })
  pairs: number | null;
  @ApiProperty({ type: [OutcomeScoreView], description: 'ONS4: four items; SWEMWBS: the metric score.' })
  scores: OutcomeScoreView[];
}

/** `GET /metrics/outcomes`: average change in wellbeing per service, need and measure. */
export class OutcomePage {
  @ApiPropertyOptional() pcnCode?: string;
  @ApiPropertyOptional() icsCode?: string;
  @ApiPropertyOptional() from?: string;
  @ApiPropertyOptional() to?: string;
  @ApiProperty({ type: DisclosureView }) disclosure: DisclosureView;
  @ApiProperty({ type: [OutcomeGroupView] }) items: OutcomeGroupView[];
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
  @ApiProperty() total: number;
}
