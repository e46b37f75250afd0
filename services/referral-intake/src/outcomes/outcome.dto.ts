import { ApiProperty } from '@nestjs/swagger';
import {
  OUTCOME_ITEM_RULES,
  OUTCOME_MEASURES,
  OUTCOME_STAGES,
  type OutcomeMeasure,
  type OutcomeStage,
} from '@sp/contracts';
import { flattenValidationErrors, ValidationProblem, type FieldProblem } from '@sp/platform';
import { plainToInstance } from 'class-transformer';
import { IsArray, IsIn, ValidateBy, validateSync, type ValidationArguments } from 'class-validator';

const isMeasure = (v: unknown): v is OutcomeMeasure => (OUTCOME_MEASURES as readonly unknown[]).includes(v);

/** As many scores as the body's measure takes (an unknown measure is reported on `measure` alone). */
function HasItemsForMeasure(): PropertyDecorator {
  return ValidateBy({
    name: 'hasItemsForMeasure',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) => {
        const measure = (args?.object as { measure?: unknown }).measure;
        return (
          !isMeasure(measure) || !Array.isArray(value) || value.length === OUTCOME_ITEM_RULES[measure].items
        );
      },
      defaultMessage: (args?: ValidationArguments) => {
        const measure = (args?.object as { measure: OutcomeMeasure }).measure;
        return `scores must hold exactly ${OUTCOME_ITEM_RULES[measure].items} scores for ${measure}`;
      },
    },
  });
}

/** `POST /referrals/:id/outcomes`: one wellbeing measure at one stage. */
export class RecordOutcomeDto {
  @ApiProperty({ enum: OUTCOME_MEASURES, example: 'swemwbs' })
  @IsIn([...OUTCOME_MEASURES], { message: `measure must be one of: ${OUTCOME_MEASURES.join(', ')}` })
  measure: OutcomeMeasure;

  @ApiProperty({ enum: OUTCOME_STAGES, example: 'baseline' })
  @IsIn([...OUTCOME_STAGES], { message: `stage must be one of: ${OUTCOME_STAGES.join(', ')}` })
  stage: OutcomeStage;

  @ApiProperty({
    type: [Number],
    example: [3, 4, 3, 3, 4, 3, 3],
    description:
      'ons4: exactly 4 whole numbers 0-10 in the order life satisfaction, worthwhile, happy yesterday, ' +
      'anxious yesterday (for anxiety lower is better). swemwbs: exactly 7 whole numbers 1-5, the seven ' +
      'items in order.',
  })
  @IsArray({ message: 'scores must be an array of whole numbers' })
  @HasItemsForMeasure()
  scores: number[];
}

/**
 * Each score outside its measure's item range, named by position (`scores[2]`), so a form can point
 * at the very answer. Nothing when the measure is unknown: there is no range to judge by.
 */
export function scoreItemProblems(measure: unknown, scores: unknown): FieldProblem[] {
  if (!isMeasure(measure) || !Array.isArray(scores)) return [];
  const { items, min, max } = OUTCOME_ITEM_RULES[measure];
  // A list far longer than any measure is one problem (its length), not hundreds.
  if (scores.length > items * 2) return [];
  return scores.flatMap((v: unknown, i) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max
      ? []
      : [
          {
            field: `scores[${i}]`,
            message: `scores[${i}] must be a whole number from ${min} to ${max} for ${measure}`,
          },
        ],
  );
}

/**
 * Validates a request body as RecordOutcomeDto and reports every problem at once: class-validator's
 * (unknown fields, measure, stage, the number of scores) and each out-of-range score by position,
 * which a property-level constraint cannot name. Throws a 400 ValidationProblem.
 */
export function parseRecordOutcome(body: unknown): RecordOutcomeDto {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationProblem([{ field: 'body', message: 'body must be a JSON object' }]);
  }
  const dto = plainToInstance(RecordOutcomeDto, body);
  const problems = [
    ...flattenValidationErrors(validateSync(dto, { whitelist: true, forbidNonWhitelisted: true })),
    ...scoreItemProblems(dto.measure, dto.scores),
  ];
  if (problems.length > 0) throw new ValidationProblem(problems);
  return dto;
}
