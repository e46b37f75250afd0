import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  CLOSE_REASONS,
  LANGUAGE_CODE_PATTERN,
  NEED_CODES,
  PCN_CODE_PATTERN,
  REFERRAL_STATUSES,
  SHORT_CODE_PATTERN,
  type CloseReason,
  type NeedCode,
  type ReferralStatus,
} from '@sp/contracts';
import { NhsNumber, isBelievableBirthDate } from '@sp/domain';
import { PageQuery } from '@sp/platform';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsNotEmpty,
  IsNotEmptyObject,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { IsPracticeCode, IsUkPostcode } from '../network/pcn.dto';

// Messages never quote the submitted value: it may be an NHS number or a name.

/** Ten digits whose modulus-11 check digit holds (spaces or hyphens allowed as 3-3-4). */
export function IsNhsNumber(): PropertyDecorator {
  return ValidateBy({
    name: 'isNhsNumber',
    validator: {
      validate: (v: unknown) => NhsNumber.isValid(v),
      defaultMessage: () => '$property must be a valid NHS number (10 digits with a modulus-11 check digit)',
    },
  });
}

/** YYYY-MM-DD, a real calendar day, not in the future and not more than 120 years ago. */
export function IsBelievableBirthDate(): PropertyDecorator {
  return ValidateBy({
    name: 'isBelievableBirthDate',
    validator: {
      validate: (v: unknown) =>
        typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && isBelievableBirthDate(v),
      defaultMessage: () =>
        '$property must be a real date (YYYY-MM-DD), not in the future and not more than 120 years ago',
    },
  });
}

const NAME_MAX = 100;
const NOTE_MAX = 2000;
// Digits with the separators people type; at least 7 and at most 15 digits (E.164).
const PHONE = /^\+?(?:[0-9][ ()-]?){7,15}$/;
// Letters (any script), spaces and the punctuation names really carry; no control characters or markup.
const NAME = /^[\p{L}\p{M}][\p{L}\p{M} '.-]*$/u;

export class ReferrerDto {
  @ApiProperty({ example: 'Dr A Example' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME_MAX)
  name: string;

  @ApiProperty({ example: 'GP' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(50)
  role: string;
}

export class PatientDto {
  @ApiProperty({ example: '9990000018' })
  @IsString()
  @MaxLength(12)
  @IsNhsNumber()
  nhsNumber: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME_MAX)
  @Matches(NAME, { message: '$property must be letters, spaces, hyphens or apostrophes' })
  givenName: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME_MAX)
  @Matches(NAME, { message: '$property must be letters, spaces, hyphens or apostrophes' })
  familyName: string;

  @ApiProperty({ example: '1950-04-01' })
  @IsString()
  @MaxLength(10)
  @IsBelievableBirthDate()
  birthDate: string;

  @ApiProperty({ example: 'LS1 4AP' })
  @IsString()
  @MaxLength(10)
  @IsUkPostcode()
  postcode: string;

  @ApiPropertyOptional({ example: '07700 900123' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  @Matches(PHONE, { message: '$property must be a phone number of 7 to 15 digits' })
  phone?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: '$property must be an email address' })
  email?: string;

  @ApiPropertyOptional({ example: 'en' })
  @IsOptional()
  @IsString()
  @Matches(LANGUAGE_CODE_PATTERN, { message: '$property must be an ISO 639-1 code (2 lower-case letters)' })
  preferredLanguage?: string;

  @ApiPropertyOptional({ example: ['wheelchair', 'bsl'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique({ message: '$property must not repeat a code' })
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  @Matches(SHORT_CODE_PATTERN, { each: true, message: 'each of $property must be a short kebab-case code' })
  accessibilityNeeds?: string[];
}

/**
 * A referral's needs: one or more distinct codes from the need list. Listed bottom-up, so that they
 * apply in the order they would stacked on the property.
 */
function NeedList(): PropertyDecorator {
  return applyDecorators(
    IsIn([...NEED_CODES], {
      each: true,
      message: `each of $property must be one of: ${NEED_CODES.join(', ')}`,
    }),
    ArrayUnique({ message: '$property must not repeat a code' }),
    ArrayMaxSize(NEED_CODES.length),
    ArrayMinSize(1),
    IsArray(),
    ApiProperty({ enum: NEED_CODES, isArray: true }),
  );
}

/** `POST /referrals` (CONTRACT.md). */
export class CreateReferralDto {
  @ApiProperty({ example: 'U00001' })
  @IsString()
  @Matches(PCN_CODE_PATTERN, { message: '$property must be a PCN ODS code: U and five digits' })
  pcnCode: string;

  @ApiProperty({ example: 'P88001' })
  @IsString()
  @IsPracticeCode()
  practiceCode: string;

  @ApiProperty({ type: ReferrerDto })
  @IsObject()
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => ReferrerDto)
  referrer: ReferrerDto;

  @ApiProperty({ type: PatientDto })
  @IsObject()
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => PatientDto)
  patient: PatientDto;

  @NeedList()
  needs: NeedCode[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(NOTE_MAX)
  notes?: string;
}

/** `POST /referrals/:id/assessment`. */
export class AssessmentDto {
  @NeedList()
  needs: NeedCode[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(NOTE_MAX)
  notesForVcso?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  autoOffer?: boolean;
}

/** `POST /referrals/:id/close`. */
export class CloseReferralDto {
  @ApiProperty({ enum: CLOSE_REASONS })
  @IsIn([...CLOSE_REASONS], { message: `$property must be one of: ${CLOSE_REASONS.join(', ')}` })
  reason: CloseReason;
}

/** `GET /referrals?status=&page=&pageSize=`. */
export class ListReferralsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: REFERRAL_STATUSES })
  @IsOptional()
  @IsIn([...REFERRAL_STATUSES], { message: `$property must be one of: ${REFERRAL_STATUSES.join(', ')}` })
  status?: ReferralStatus;
}
