import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CONSENT_METHODS, type ConsentMethod } from '@sp/contracts';
import { PageQuery } from '@sp/platform';
import { IsBoolean, IsIn, IsOptional, IsUUID } from 'class-validator';
import { CONSENT_DECISIONS, type ConsentDecision } from './consent-record.entity';

/**
 * Why consent was withdrawn: a closed set of codes, never prose, so nothing personal can be written
 * into the record through it.
 */
export const WITHDRAWAL_REASONS = ['person-request', 'recorded-in-error', 'lacks-capacity', 'other'] as const;
export type WithdrawalReason = (typeof WITHDRAWAL_REASONS)[number];

/** Body of `POST /consents`. */
export class RecordConsentDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'referralId must be a UUID' })
  referralId: string;

  @ApiProperty({ enum: CONSENT_DECISIONS })
  @IsIn(CONSENT_DECISIONS, { message: `decision must be one of ${CONSENT_DECISIONS.join(', ')}` })
  decision: ConsentDecision;

  @ApiProperty({ enum: CONSENT_METHODS })
  @IsIn(CONSENT_METHODS, { message: `method must be one of ${CONSENT_METHODS.join(', ')}` })
  method: ConsentMethod;

  @ApiProperty({ description: 'Whether the person agreed that their contact details may reach a VCSO.' })
  @IsBoolean({ message: 'shareWithVcso must be true or false' })
  shareWithVcso: boolean;
}

/** Body of `POST /consents/:id/withdraw`; may be empty. */
export class WithdrawConsentDto {
  @ApiPropertyOptional({ enum: WITHDRAWAL_REASONS })
  @IsOptional()
  @IsIn(WITHDRAWAL_REASONS, { message: `reason must be one of ${WITHDRAWAL_REASONS.join(', ')}` })
  reason?: WithdrawalReason;
}

/** Query of `GET /consents`. */
export class ListConsentsQuery extends PageQuery {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'referralId must be a UUID' })
  referralId: string;
}

/** A consent as the API shows it (CONTRACT.md: `{id, referralId, decision, method, shareWithVcso, recordedAt, withdrawnAt}`). */
export class ConsentView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  referralId: string;

  @ApiProperty({ enum: CONSENT_DECISIONS })
  decision: ConsentDecision;

  @ApiProperty({ enum: CONSENT_METHODS })
  method: ConsentMethod;

  @ApiProperty()
  shareWithVcso: boolean;

  @ApiProperty({ format: 'date-time' })
  recordedAt: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  withdrawnAt: string | null;
}

/** A page of a referral's consent history, newest first. */
export class ConsentPage {
  @ApiProperty({ type: [ConsentView] })
  items: ConsentView[];

  @ApiProperty()
  page: number;

  @ApiProperty()
  pageSize: number;

  @ApiProperty()
  total: number;
}
