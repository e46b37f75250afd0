import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  OFFER_DECLINE_REASONS,
  OFFER_OUTCOMES,
  OFFER_STATUSES,
  type OfferDeclineReason,
  type OfferOutcome,
  type OfferStatus,
} from '@sp/contracts';
import { PageQuery } from '@sp/platform';
import { IsIn, IsOptional, IsUUID } from 'class-validator';

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

export class ListOffersQuery extends PageQuery {
  @ApiPropertyOptional({ enum: OFFER_STATUSES })
  @IsOptional()
  @IsIn(OFFER_STATUSES, { message: `status must be one of ${OFFER_STATUSES.join(', ')}` })
  status?: OfferStatus;
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
