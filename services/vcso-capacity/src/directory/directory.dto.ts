import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  CAPACITY_STATUSES,
  ICS_CODE_PATTERN,
  LANGUAGE_CODE_PATTERN,
  NEED_CODES,
  SERVICE_MODES,
  SHORT_CODE_PATTERN,
  type CapacityStatus,
  type NeedCode,
  type ServiceMode,
} from '@sp/contracts';
import { Postcode } from '@sp/domain';
import { PageQuery } from '@sp/platform';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  Validate,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';

const upper = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toUpperCase() : value;

/** A full UK postcode or a postcode district: the geography table may know either. */
@ValidatorConstraint({ name: 'postcodeOrDistrict' })
export class PostcodeOrDistrict implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return Postcode.isValid(value) || Postcode.isValidDistrict(value);
  }
  defaultMessage(): string {
    return 'must be a UK postcode or postcode district (e.g. LS1 4AP or LS1)';
  }
}

/** Body of `POST /organisations`. */
export class CreateOrganisationDto {
  @ApiProperty({ maxLength: 200 })
  @IsString({ message: 'name must be text' })
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(200, { message: 'name must be at most 200 characters' })
  name: string;

  @ApiProperty({ example: 'QWO', description: 'ICS (ICB) ODS code.' })
  @Transform(upper)
  @IsString({ message: 'icsCode must be an ICS code such as QWO' })
  @Matches(ICS_CODE_PATTERN, { message: 'icsCode must be an ICS code such as QWO' })
  icsCode: string;

  @ApiPropertyOptional({ example: '1234567' })
  @IsOptional()
  @IsString({ message: 'charityNumber must be a charity number' })
  @Matches(/^[0-9]{6,8}(-[0-9]{1,2})?$|^SC[0-9]{6}$/, { message: 'charityNumber must be a charity number' })
  charityNumber?: string;

  @ApiProperty({ format: 'email' })
  @IsEmail({}, { message: 'contactEmail must be an email address' })
  @MaxLength(254, { message: 'contactEmail must be at most 254 characters' })
  contactEmail: string;
}

/** An organisation as the API shows it. */
export class OrganisationView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() icsCode: string;
  @ApiProperty({ nullable: true, type: String }) charityNumber: string | null;
  @ApiProperty() contactEmail: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class OrganisationPage {
  @ApiProperty({ type: [OrganisationView] }) items: OrganisationView[];
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
  @ApiProperty() total: number;
}

/** Body of `POST /services`. */
export class CreateServiceDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'organisationId must be a UUID' })
  organisationId: string;

  @ApiProperty({ maxLength: 200 })
  @IsString({ message: 'name must be text' })
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(200, { message: 'name must be at most 200 characters' })
  name: string;

  @ApiProperty({ enum: NEED_CODES, isArray: true })
  @IsArray({ message: 'needs must be a list of need codes' })
  @ArrayMinSize(1, { message: 'needs must name at least one need' })
  @ArrayUnique({ message: 'needs must not repeat a need' })
  @IsIn(NEED_CODES, { each: true, message: `needs must each be one of ${NEED_CODES.join(', ')}` })
  needs: NeedCode[];

  @ApiProperty({ example: 'LS1 4AP', description: 'Where the service meets: a full postcode or a district.' })
  @IsString({ message: 'postcode must be a UK postcode or postcode district (e.g. LS1 4AP or LS1)' })
  @Validate(PostcodeOrDistrict)
  postcode: string;

  @ApiProperty({ minimum: 0, maximum: 500, description: 'How far (km) people may travel to it.' })
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'radiusKm must be a number of km' })
  @Min(0, { message: 'radiusKm must be at least 0' })
  @Max(500, { message: 'radiusKm must be at most 500' })
  radiusKm: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 120 })
  @IsOptional()
  @IsInt({ message: 'minAge must be a whole number of years' })
  @Min(0, { message: 'minAge must be at least 0' })
  @Max(120, { message: 'minAge must be at most 120' })
  minAge?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 120 })
  @IsOptional()
  @IsInt({ message: 'maxAge must be a whole number of years' })
  @Min(0, { message: 'maxAge must be at least 0' })
  @Max(120, { message: 'maxAge must be at most 120' })
  maxAge?: number;

  @ApiPropertyOptional({ type: [String], example: ['en', 'pl'], description: 'ISO 639-1 codes.' })
  @IsOptional()
  @IsArray({ message: 'languages must be a list of language codes' })
  @ArrayMaxSize(30, { message: 'languages must list at most 30 languages' })
  @IsString({ each: true, message: 'languages must each be an ISO 639-1 code such as en' })
  @Matches(LANGUAGE_CODE_PATTERN, {
    each: true,
    message: 'languages must each be an ISO 639-1 code such as en',
  })
  languages?: string[];

  @ApiPropertyOptional({ type: [String], example: ['step-free', 'hearing-loop'] })
  @IsOptional()
  @IsArray({ message: 'accessibility must be a list of codes' })
  @ArrayMaxSize(30, { message: 'accessibility must list at most 30 codes' })
  @IsString({ each: true, message: 'accessibility must each be a short code such as step-free' })
  @MaxLength(40, { each: true, message: 'accessibility codes must be at most 40 characters' })
  @Matches(SHORT_CODE_PATTERN, {
    each: true,
    message: 'accessibility must each be a short code such as step-free',
  })
  accessibility?: string[];

  @ApiProperty({ enum: SERVICE_MODES })
  @IsIn(SERVICE_MODES, { message: `mode must be one of ${SERVICE_MODES.join(', ')}` })
  mode: ServiceMode;

  @ApiProperty({ minimum: 0, maximum: 100000 })
  @IsInt({ message: 'maxActive must be a whole number' })
  @Min(0, { message: 'maxActive must be at least 0' })
  @Max(100000, { message: 'maxActive must be at most 100000' })
  maxActive: number;

  @ApiProperty({ minimum: 0, maximum: 10000 })
  @IsInt({ message: 'weeklyIntake must be a whole number' })
  @Min(0, { message: 'weeklyIntake must be at least 0' })
  @Max(10000, { message: 'weeklyIntake must be at most 10000' })
  weeklyIntake: number;
}

/** Query of `GET /services`. */
export class ListServicesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: NEED_CODES })
  @IsOptional()
  @IsIn(NEED_CODES, { message: `need must be one of ${NEED_CODES.join(', ')}` })
  need?: NeedCode;

  @ApiPropertyOptional({ description: 'A postcode or district to measure distance from.' })
  @IsOptional()
  @IsString({ message: 'near must be a UK postcode or postcode district' })
  @Validate(PostcodeOrDistrict)
  near?: string;

  @ApiPropertyOptional({
    description: 'With near: at most this far (km); default each service’s own radius.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'radiusKm must be a number of km' })
  @Min(0, { message: 'radiusKm must be at least 0' })
  @Max(1000, { message: 'radiusKm must be at most 1000' })
  radiusKm?: number;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'organisationId must be a UUID' })
  organisationId?: string;
}

/** A service's live load, as every read shows it. */
export class LoadView {
  @ApiProperty() active: number;
  @ApiProperty() reserved: number;
  @ApiProperty() maxActive: number;
  @ApiProperty({ description: '(active + reserved) / maxActive' }) utilisation: number;
  @ApiProperty() offersThisWeek: number;
  @ApiProperty() weeklyIntake: number;
  @ApiProperty({ enum: CAPACITY_STATUSES }) status: CapacityStatus;
}

/** A service as the API shows it. */
export class ServiceView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) organisationId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: NEED_CODES, isArray: true }) needs: string[];
  @ApiProperty() postcode: string;
  @ApiProperty() district: string;
  @ApiProperty() radiusKm: number;
  @ApiProperty({ nullable: true, type: Number }) minAge: number | null;
  @ApiProperty({ nullable: true, type: Number }) maxAge: number | null;
  @ApiProperty({ type: [String] }) languages: string[];
  @ApiProperty({ type: [String] }) accessibility: string[];
  @ApiProperty({ enum: SERVICE_MODES }) mode: ServiceMode;
  @ApiProperty() maxActive: number;
  @ApiProperty() weeklyIntake: number;
  @ApiProperty({ description: 'Whether the geography table knows where the service is.' })
  locationKnown: boolean;
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'With near: km from it, when known.' })
  distanceKm?: number | null;
  @ApiPropertyOptional({ description: 'With near: true when the distance cannot be measured.' })
  distanceUnknown?: boolean;
  @ApiProperty({ nullable: true, type: String }) pauseReason: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) pausedUntil: string | null;
  @ApiProperty({ type: LoadView }) load: LoadView;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class ServicePage {
  @ApiProperty({ type: [ServiceView] }) items: ServiceView[];
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
  @ApiProperty() total: number;
  @ApiPropertyOptional({ description: 'With near: whether the near postcode itself is known.' })
  nearKnown?: boolean;
}
