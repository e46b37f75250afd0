import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { Type } from 'class-transformer';
import { JSONSchema } from 'class-validator-jsonschema';
import {
  ICS_CODE_PATTERN,
  LANGUAGE_CODE_PATTERN,
  OUTCOME_ITEM_RULES,
  OUTCOME_MEASURES,
  PCN_CODE_PATTERN,
  PERSON_KEY_PATTERN,
  POSTCODE_DISTRICT_PATTERN,
  PRACTICE_CODE_PATTERN,
  SHORT_CODE_PATTERN,
} from './codes';
import { isRfc3339DateTime } from './rfc3339';

// The field kinds events are made of. Every event property uses one of these, so each kind is
// validated and described the same way everywhere, and adding a field means choosing a kind, not
// inventing a rule. Messages never quote the offending value: problems get logged.

/** class-validator constraint name of `Timestamp()`, mapped to `format: date-time` in JSON Schema. */
export const RFC3339_CONSTRAINT = 'isRfc3339DateTime';

function compose(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}

function describe(description: string): PropertyDecorator {
  return JSONSchema({ description }) as PropertyDecorator;
}

/**
 * The property may be absent. Unlike IsOptional, null is refused: the JSON Schema says "string",
 * and producers should omit the field rather than send null.
 */
export function Optional(): PropertyDecorator {
  return ValidateIf((_obj: object, value: unknown) => value !== undefined);
}

/** A UUID identifying an aggregate (referral, offer, service...). */
export function Id(description: string): PropertyDecorator {
  return compose(IsUUID('all', { message: '$property must be a UUID' }), describe(description));
}

/** Pseudonymous person key: keyed HMAC of the NHS number, never the number itself. */
export function PersonKey(description: string): PropertyDecorator {
  return compose(
    Matches(PERSON_KEY_PATTERN, { message: '$property must be 64 lower-case hex digits (an HMAC)' }),
    describe(description),
  );
}

export function PcnCode(): PropertyDecorator {
  return compose(
    Matches(PCN_CODE_PATTERN, { message: '$property must be a PCN code (U followed by 5 digits)' }),
    describe('ODS code of the Primary Care Network.'),
  );
}

export function PracticeCode(): PropertyDecorator {
  return compose(
    Matches(PRACTICE_CODE_PATTERN, {
      message: '$property must be a practice code (a capital letter followed by 5 digits)',
    }),
    describe('ODS code of the GP practice.'),
  );
}

export function IcsCode(): PropertyDecorator {
  return compose(
    Matches(ICS_CODE_PATTERN, {
      message: '$property must be an ICS code (Q followed by 2 letters or digits)',
    }),
    describe('ODS code of the Integrated Care System (ICB).'),
  );
}

export function PostcodeDistrict(): PropertyDecorator {
  return compose(
    Matches(POSTCODE_DISTRICT_PATTERN, {
      message: '$property must be a postcode district in capitals (e.g. SW1A), never a full postcode',
    }),
    describe('Postcode district (outward code) only; a full postcode never appears in events.'),
  );
}

/** One value from a closed code list. */
export function Code(values: readonly string[], description: string): PropertyDecorator {
  return compose(
    IsIn([...values], { message: `$property must be one of: ${values.join(', ')}` }),
    describe(description),
  );
}

/** A list of distinct values from a closed code list, with at least `minItems`. */
export function Codes(values: readonly string[], description: string, minItems = 0): PropertyDecorator {
  const decorators = [
    IsArray({ message: '$property must be an array' }),
    ArrayUnique({ message: '$property must not repeat a code' }),
    IsIn([...values], { each: true, message: `each of $property must be one of: ${values.join(', ')}` }),
    describe(description),
  ];
  if (minItems > 0) {
    decorators.push(ArrayMinSize(minItems, { message: `$property must have at least ${minItems} item(s)` }));
  }
  return compose(...decorators);
}

/** A short list of short kebab-case codes from an open set (accessibility needs and the like). */
export function ShortCodes(description: string): PropertyDecorator {
  return compose(
    IsArray({ message: '$property must be an array' }),
    ArrayMaxSize(20, { message: '$property must have at most 20 items' }),
    ArrayUnique({ message: '$property must not repeat a code' }),
    Matches(SHORT_CODE_PATTERN, { each: true, message: 'each of $property must be a short kebab-case code' }),
    MaxLength(40, { each: true, message: 'each of $property must be at most 40 characters' }),
    describe(description),
  );
}

export function LanguageCode(): PropertyDecorator {
  return compose(
    Matches(LANGUAGE_CODE_PATTERN, { message: '$property must be an ISO 639-1 code (2 lower-case letters)' }),
    describe('Preferred language, ISO 639-1.'),
  );
}

/** An RFC 3339 date-time with an explicit offset. */
export function Timestamp(description: string): PropertyDecorator {
  return compose(
    ValidateBy({
      name: RFC3339_CONSTRAINT,
      validator: {
        validate: (value: unknown) => isRfc3339DateTime(value),
        defaultMessage: () => '$property must be an RFC 3339 date-time (e.g. 2025-01-31T09:00:00Z)',
      },
    }),
    describe(description),
  );
}

export function Flag(description: string): PropertyDecorator {
  return compose(IsBoolean({ message: '$property must be true or false' }), describe(description));
}

/** A whole number, zero or more. */
export function Count(description: string): PropertyDecorator {
  return compose(
    IsInt({ message: '$property must be a whole number' }),
    Min(0, { message: '$property must not be negative' }),
    describe(description),
  );
}

/** A finite number, zero or more (ratios such as utilisation, which may exceed 1). */
export function Ratio(description: string): PropertyDecorator {
  return compose(
    IsNumber({ allowNaN: false, allowInfinity: false }, { message: '$property must be a finite number' }),
    Min(0, { message: '$property must not be negative' }),
    describe(description),
  );
}

/** A list of distinct ISO 639-1 language codes (the languages a service works in). */
export function LanguageCodes(description: string): PropertyDecorator {
  return compose(
    IsArray({ message: '$property must be an array' }),
    ArrayMaxSize(30, { message: '$property must have at most 30 items' }),
    ArrayUnique({ message: '$property must not repeat a code' }),
    Matches(LANGUAGE_CODE_PATTERN, {
      each: true,
      message: 'each of $property must be an ISO 639-1 code (2 lower-case letters)',
    }),
    describe(description),
  );
}

/** Latitude or longitude in decimal degrees (WGS84) of a place, never of a person's home. */
export function Degrees(axis: 'latitude' | 'longitude', description: string): PropertyDecorator {
  const limit = axis === 'latitude' ? 90 : 180;
  return compose(
    IsNumber({ allowNaN: false, allowInfinity: false }, { message: '$property must be a finite number' }),
    Min(-limit, { message: `$property must be a ${axis} in degrees` }),
    Max(limit, { message: `$property must be a ${axis} in degrees` }),
    describe(description),
  );
}

/**
 * The item scores of a wellbeing measure, in questionnaire order: as many whole numbers, each in the
 * item range, as the `measure` field of the same payload calls for (OUTCOME_ITEM_RULES).
 */
export function WellbeingScores(description: string): PropertyDecorator {
  const lengths = Object.values(OUTCOME_ITEM_RULES).map((r) => r.items);
  const lowest = Math.min(...Object.values(OUTCOME_ITEM_RULES).map((r) => r.min));
  const highest = Math.max(...Object.values(OUTCOME_ITEM_RULES).map((r) => r.max));
  return compose(
    IsArray({ message: '$property must be an array' }),
    ArrayMinSize(Math.min(...lengths), { message: '$property has too few items' }),
    ArrayMaxSize(Math.max(...lengths), { message: '$property has too many items' }),
    IsInt({ each: true, message: 'each of $property must be a whole number' }),
    Min(lowest, { each: true, message: `each of $property must be at least ${lowest}` }),
    Max(highest, { each: true, message: `each of $property must be at most ${highest}` }),
    ValidateBy({
      name: 'fitsWellbeingMeasure',
      validator: {
        validate: (value: unknown, args) => {
          const measure = (args?.object as { measure?: unknown } | undefined)?.measure;
          // An unknown measure is the measure field's own problem.
          if (!(OUTCOME_MEASURES as readonly unknown[]).includes(measure)) return true;
          const rule = OUTCOME_ITEM_RULES[measure as keyof typeof OUTCOME_ITEM_RULES];
          return (
            Array.isArray(value) &&
            value.length === rule.items &&
            value.every((v) => Number.isInteger(v) && (v as number) >= rule.min && (v as number) <= rule.max)
          );
        },
        defaultMessage: () =>
          '$property must fit the measure: ons4 4 items from 0 to 10, swemwbs 7 items from 1 to 5',
      },
    }),
    // The cross-field check above is a custom constraint, which the JSON Schema generator describes as a
    // reference to a class named after the property's type (Array); the array schema stands on its own.
    JSONSchema((schema) => {
      const rest: Record<string, unknown> = { ...schema };
      delete rest.$ref;
      return { ...rest, type: 'array', description };
    }) as PropertyDecorator,
  );
}

/** A wellbeing summary score to two decimal places within [min, max] (the SWEMWBS metric score: 7-35). */
export function WellbeingScore(min: number, max: number, description: string): PropertyDecorator {
  return compose(
    IsNumber(
      { allowNaN: false, allowInfinity: false, maxDecimalPlaces: 2 },
      { message: '$property must be a number with at most 2 decimal places' },
    ),
    Min(min, { message: `$property must be at least ${min}` }),
    Max(max, { message: `$property must be at most ${max}` }),
    describe(description),
  );
}

/** A whole number within [min, max] (a setting such as a number of days). */
export function WholeNumber(min: number, max: number, description: string): PropertyDecorator {
  return compose(
    IsInt({ message: '$property must be a whole number' }),
    Min(min, { message: `$property must be at least ${min}` }),
    Max(max, { message: `$property must be at most ${max}` }),
    describe(description),
  );
}

/**
 * The public name of an NHS or voluntary organisation (a PCN...), as registered: one line, 1-200
 * characters. Never a person's name: the personal-data check allows it only where named there.
 */
export function OrganisationName(description: string): PropertyDecorator {
  return compose(
    IsString({ message: '$property must be a string' }),
    MinLength(1, { message: '$property must not be empty' }),
    MaxLength(200, { message: '$property must be at most 200 characters' }),
    // One line: no control characters (a line break could smuggle a second "field" into a log line).
    // eslint-disable-next-line no-control-regex
    Matches(/^[^\u0000-\u001f\u007f]*$/, { message: '$property must be one line of text' }),
    describe(description),
  );
}

/**
 * A nested object of class `of`, itself made of these field kinds (validated, and closed, like the
 * payload). The JSON Schema names the class, which the AsyncAPI document carries along.
 */
export function Nested(of: () => new () => object, description: string): PropertyDecorator {
  return compose(
    IsObject({ message: '$property must be an object' }),
    ValidateNested(),
    Type(of),
    JSONSchema(() => ({
      allOf: [{ $ref: `#/components/schemas/${of().name}` }],
      description,
    })) as PropertyDecorator,
  );
}

/** A list of `minItems` to `maxItems` nested objects of class `of` (see Nested). */
export function NestedList(
  of: () => new () => object,
  description: string,
  minItems: number,
  maxItems: number,
): PropertyDecorator {
  return compose(
    IsArray({ message: '$property must be an array' }),
    ArrayMinSize(minItems, { message: `$property must have at least ${minItems} item(s)` }),
    ArrayMaxSize(maxItems, { message: `$property must have at most ${maxItems} items` }),
    // ValidateNested alone lets an element that is itself an array through.
    IsObject({ each: true, message: 'each of $property must be an object' }),
    ValidateNested({ each: true }),
    Type(of),
    JSONSchema(() => ({
      type: 'array',
      minItems,
      maxItems,
      items: { $ref: `#/components/schemas/${of().name}` },
      description,
    })) as PropertyDecorator,
  );
}
