import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ICS_CODE_PATTERN, PCN_CODE_PATTERN } from '@sp/contracts';
import { Postcode, isPracticeCode } from '@sp/domain';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';

/** A GP practice ODS code: a letter other than U and five digits (U codes are PCNs). */
export function IsPracticeCode(): PropertyDecorator {
  return ValidateBy({
    name: 'isPracticeCode',
    validator: {
      validate: (v: unknown) => typeof v === 'string' && /^[A-Z]\d{5}$/.test(v) && isPracticeCode(v),
      defaultMessage: () => '$property must be a practice ODS code: a capital letter (not U) and five digits',
    },
  });
}

/** A full UK postcode, shape only. */
export function IsUkPostcode(): PropertyDecorator {
  return ValidateBy({
    name: 'isUkPostcode',
    validator: {
      validate: (v: unknown) => typeof v === 'string' && Postcode.isValid(v),
      defaultMessage: () => '$property must be a full UK postcode (e.g. SW1A 1AA)',
    },
  });
}

export class PracticeDto {
  @ApiProperty({ example: 'P88001' })
  @IsString()
  @IsPracticeCode()
  code: string;

  @ApiProperty({ example: 'Riverside Surgery' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: 'LS1 4AP' })
  @IsString()
  @MaxLength(10)
  @IsUkPostcode()
  postcode: string;
}

export class PcnSettingsDto {
  @ApiPropertyOptional({ default: 14, minimum: 1, maximum: 90 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(90)
  offerExpiryDays?: number;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  autoOffer?: boolean;
}

/** `POST /pcns`: a Primary Care Network, its ICS and its practices. */
export class CreatePcnDto {
  @ApiProperty({ example: 'U00001' })
  @IsString()
  @Matches(PCN_CODE_PATTERN, { message: '$property must be a PCN ODS code: U and five digits' })
  code: string;

  @ApiProperty({ example: 'Riverside PCN' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: 'QWO' })
  @IsString()
  @Matches(ICS_CODE_PATTERN, {
    message: '$property must be an ICS code: Q and two capital letters or digits',
  })
  icsCode: string;

  @ApiProperty({ type: [PracticeDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  // ValidateNested passes an element that is itself an array (`[[]]`), which then broke the service.
  @IsObject({ each: true, message: 'each of practices must be an object' })
  @ValidateNested({ each: true })
  @Type(() => PracticeDto)
  practices: PracticeDto[];

  @ApiPropertyOptional({ type: PcnSettingsDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PcnSettingsDto)
  settings?: PcnSettingsDto;
}

/** A PCN as the API answers it. */
export interface PcnView {
  /** The PCN's ODS code, as `code`. */
  id: string;
  code: string;
  name: string;
  icsCode: string;
  practices: { code: string; name: string; postcode: string }[];
  settings: { offerExpiryDays: number; autoOffer: boolean };
  createdAt: string;
}
