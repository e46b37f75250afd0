import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  EXCLUSION_REASONS,
  type Candidate,
  type Exclusion,
  type ExclusionReason,
  type ScoreParts,
} from './scoring';

export class CandidateView implements Candidate {
  @ApiProperty({ format: 'uuid' }) serviceId: string;
  @ApiProperty({ format: 'uuid' }) organisationId: string;
  @ApiProperty({ description: 'Weighted sum of the parts, 0 to 1; higher is better.' }) score: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'needs (coverage), distance (km from the person’s district centroid; null with a note when it could not be measured), load (utilisation) and fairness (recent share of offers against share of capacity), each with its score and weight.',
  })
  parts: ScoreParts;
}

export class ExclusionView implements Exclusion {
  @ApiProperty({ format: 'uuid' }) serviceId: string;
  @ApiProperty({ format: 'uuid' }) organisationId: string;
  @ApiProperty({ enum: EXCLUSION_REASONS }) reason: ExclusionReason;
  @ApiProperty({ enum: EXCLUSION_REASONS, isArray: true }) reasons: ExclusionReason[];
}

/** `GET /matches/:referralId`: the ranked candidates with the score's parts, and why others were left out. */
export class MatchesView {
  @ApiProperty({ format: 'uuid' }) referralId: string;
  @ApiProperty({ type: [String] }) needs: string[];
  @ApiPropertyOptional({ nullable: true }) ageBand: string | null;
  @ApiPropertyOptional({ nullable: true }) postcodeDistrict: string | null;
  @ApiProperty({
    description: 'Whether the geography table knows the person’s district (else no distance filter).',
  })
  locationKnown: boolean;
  @ApiProperty() waitlisted: boolean;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) weights: Record<string, number>;
  @ApiProperty() fairnessWindowDays: number;
  @ApiProperty({ description: 'Services that suit the person, with or without room.' }) suitable: number;
  @ApiProperty({ type: [CandidateView] }) candidates: CandidateView[];
  @ApiProperty({ type: [ExclusionView] }) excluded: ExclusionView[];
}
