import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import {
  ICS_CODE_PATTERN,
  LANGUAGE_CODE_PATTERN,
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
