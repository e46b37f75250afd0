import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  OFFER_DECLINE_REASONS,
  OFFER_OUTCOMES,
  OFFER_STATUSES,
  type OfferDeclineReason,
  type OfferOutcome,
  type OfferStatus,
} from '@sp/contracts';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

export class MakeOfferDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'referralId must be a UUID' })
  referralId: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'serviceId must be a UUID' })
  serviceId: string;
}

export class DeclineOfferDto {
  @ApiProperty({ enum: OFFER_DECLINE_REASONS })
  @IsIn(OFFER_DECLINE_REASONS, { message: `reason must be one of ${OFFER_DECLINE_REASONS.join(', ')}` })
  reason: OfferDeclineReason;
}

export class CompleteOfferDto {
  @ApiProperty({ enum: OFFER_OUTCOMES })
  @IsIn(OFFER_OUTCOMES, { message: `outcome must be one of ${OFFER_OUTCOMES.join(', ')}` })
  outcome: OfferOutcome;
}

export class ListOffersQuery {
  @ApiPropertyOptional({ enum: OFFER_STATUSES })
  @IsOptional()
  @IsIn(OFFER_STATUSES, { message: `status must be one of ${OFFER_STATUSES.join(', ')}` })
  status?: OfferStatus;

  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'page must be a whole number' })
  @Min(1, { message: 'page must be at least 1' })
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'pageSize must be a whole number' })
  @Min(1, { message: 'pageSize must be at least 1' })
  @Max(100, { message: 'pageSize must be at most 100' })
  pageSize?: number;
}

export class OfferView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) referralId: string;
  @ApiProperty({ format: 'uuid' }) serviceId: string;
  @ApiProperty({ format: 'uuid' }) organisationId: string;
  @ApiProperty() pcnCode: string;
  @ApiProperty({ enum: OFFER_STATUSES }) status: OfferStatus;
  @ApiProperty() auto: boolean;
  @ApiPropertyOptional({ enum: OFFER_DECLINE_REASONS, nullable: true }) declineReason: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() expiresAt: string;
  @ApiPropertyOptional({ nullable: true }) decidedAt: string | null;
}

export class OfferPage {
  @ApiProperty({ type: [OfferView] }) items: OfferView[];
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
  @ApiProperty() total: number;
}
