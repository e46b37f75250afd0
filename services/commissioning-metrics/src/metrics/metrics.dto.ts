import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CLOSE_REASONS, PCN_CODE_PATTERN } from '@sp/contracts';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

/** A calendar date (midnight UTC) or an RFC 3339 date-time. */
export const WHEN_PATTERN =
  /^\d{4}-\d{2}-\d{2}$|^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A window of time: `from` inclusive, `to` exclusive, each a date (midnight UTC) or a date-time. */
export class WindowQuery {
  @ApiPropertyOptional({ example: '2026-01-01', description: 'From this date or date-time, inclusive.' })
  @IsOptional()
  @IsString({ message: 'from must be a date (YYYY-MM-DD) or an RFC 3339 date-time' })
  @Matches(WHEN_PATTERN, { message: 'from must be a date (YYYY-MM-DD) or an RFC 3339 date-time' })
  from?: string;

  @ApiPropertyOptional({ example: '2026-04-01', description: 'Up to this date or date-time, exclusive.' })
  @IsOptional()
  @IsString({ message: 'to must be a date (YYYY-MM-DD) or an RFC 3339 date-time' })
  @Matches(WHEN_PATTERN, { message: 'to must be a date (YYYY-MM-DD) or an RFC 3339 date-time' })
  to?: string;
}

/** Query of the figures routes: a PCN and a window of referral receipt (`from` inclusive, `to` exclusive). */
export class MetricsQuery extends WindowQuery {
  @ApiPropertyOptional({ example: 'U00001', description: 'Only this PCN (pcn_ops: must be their own).' })
  @IsOptional()
  @IsString({ message: 'pcnCode must be a PCN code such as U00001' })
  @Matches(PCN_CODE_PATTERN, { message: 'pcnCode must be a PCN code such as U00001' })
  pcnCode?: string;
}

/** How the figures were disclosed: exact for a PCN's own team, suppressed and rounded for an ICS. */
export class DisclosureView {
  @ApiProperty({ description: 'True when counts are exact; false when the small-number rule applies.' })
  exact: boolean;
  @ApiProperty({ description: 'Counts from 1 to this are suppressed (shown as null).' })
  threshold: number;
  @ApiProperty({ description: 'Other counts are rounded to the nearest multiple of this.' })
  roundingBase: number;
}

export class SummaryCounts {
  @ApiProperty({ type: Number, nullable: true }) received: number | null;
  @ApiProperty({ type: Number, nullable: true }) consented: number | null;
  @ApiProperty({ type: Number, nullable: true }) consentDeclined: number | null;
  @ApiProperty({ type: Number, nullable: true }) assessed: number | null;
  @ApiProperty({ type: Number, nullable: true }) offered: number | null;
  @ApiProperty({ type: Number, nullable: true }) waitlisted: number | null;
  @ApiProperty({ type: Number, nullable: true }) accepted: number | null;
  @ApiProperty({ type: Number, nullable: true }) completed: number | null;
  @ApiProperty({ type: Number, nullable: true }) didNotAttend: number | null;
  @ApiProperty({ type: Number, nullable: true }) closed: number | null;
}

/** Days from receipt to a milestone, over the referrals that reached it. */
export class WaitView {
  @ApiProperty({ type: Number, nullable: true, description: 'Referrals that reached the milestone.' })
  count: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Median days (percentile_cont 0.5).' })
  median: number | null;
  @ApiProperty({ type: Number, nullable: true, description: '90th percentile days (percentile_cont 0.9).' })
  p90: number | null;
}

export class WaitsView {
  @ApiProperty({ type: WaitView }) toConsent: WaitView;
  @ApiProperty({ type: WaitView }) toFirstOffer: WaitView;
  @ApiProperty({ type: WaitView }) toAcceptance: WaitView;
}

/** `GET /metrics/summary`: the referrals received in the window, and how far they got. */
export class SummaryView {
  @ApiPropertyOptional() pcnCode?: string;
  @ApiPropertyOptional() icsCode?: string;
  @ApiPropertyOptional() from?: string;
  @ApiPropertyOptional() to?: string;
  @ApiProperty({ type: DisclosureView }) disclosure: DisclosureView;
  @ApiProperty({ type: SummaryCounts }) counts: SummaryCounts;
  @ApiProperty({
    description: `Closed referrals by reason (${CLOSE_REASONS.join(', ')}).`,
    additionalProperties: { type: 'number', nullable: true },
  })
  closedByReason: Record<string, number | null>;
  @ApiProperty({ type: WaitsView }) days: WaitsView;
  @ApiProperty({ type: [String], description: 'The figures suppressed by the small-number rule.' })
  suppressed: string[];
}

export class ServiceLoadView {
  @ApiProperty({ format: 'uuid' }) serviceId: string;
  @ApiProperty({ format: 'uuid' }) organisationId: string;
  @ApiProperty({ type: String, nullable: true }) icsCode: string | null;
  @ApiProperty({ type: [String] }) needs: string[];
  @ApiProperty({ type: String, nullable: true }) postcodeDistrict: string | null;
  @ApiProperty() active: number;
  @ApiProperty() reserved: number;
  @ApiProperty() maxActive: number;
  @ApiProperty() weeklyIntake: number;
  @ApiProperty() offersThisWeek: number;
  @ApiProperty({ description: '(active + reserved) / maxActive' }) utilisation: number;
  @ApiProperty({ enum: ['open', 'limited', 'full', 'paused'] }) status: string;
  @ApiProperty({ type: String, nullable: true }) changedAt: string | null;
}

export class ServiceLoadPage {
  @ApiProperty({ type: [ServiceLoadView] }) items: ServiceLoadView[];
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
  @ApiProperty() total: number;
}

export class UnmetNeedView {
  @ApiProperty() need: string;
  @ApiProperty() postcodeDistrict: string;
  @ApiProperty({ type: Number, nullable: true, description: 'Referrals with this need unmet.' })
  referrals: number | null;
  @ApiProperty({ type: Number, nullable: true }) waitlisted: number | null;
  @ApiProperty({ type: Number, nullable: true }) noSuitableService: number | null;
}

export class UnmetNeedPage {
  @ApiProperty({ type: DisclosureView }) disclosure: DisclosureView;
  @ApiProperty({ type: [UnmetNeedView] }) items: UnmetNeedView[];
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
  @ApiProperty() total: number;
}

/** Paging of `GET /metrics/vcso-load`. */
export class LoadQuery {
  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'page must be a whole number' })
  @Min(1, { message: 'page must be at least 1' })
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'pageSize must be a whole number' })
  @Min(1, { message: 'pageSize must be at least 1' })
  @Max(1000, { message: 'pageSize must be at most 1000' })
  pageSize?: number;
}

/** One point of a service's load over time. */
export class LoadPointView {
  @ApiProperty() at: string;
  @ApiProperty() active: number;
  @ApiProperty() reserved: number;
  @ApiProperty() maxActive: number;
  @ApiProperty() weeklyIntake: number;
  @ApiProperty() offersThisWeek: number;
  @ApiProperty() utilisation: number;
  @ApiProperty({ enum: ['open', 'limited', 'full', 'paused'] }) status: string;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
}

/** `GET /metrics/vcso-load/:serviceId/history`: utilisation over time, oldest first (at most 1000 points). */
export class LoadHistoryView {
  @ApiProperty({ format: 'uuid' }) serviceId: string;
  @ApiProperty({ type: [LoadPointView] }) items: LoadPointView[];
}

/** Window of a load history. */
export class HistoryQuery extends WindowQuery {}

/** What became of the offers made to one service in the window (offers made in it). */
export class ServiceOutcomeView {
  @ApiProperty({ format: 'uuid' }) serviceId: string;
  @ApiProperty({ format: 'uuid' }) organisationId: string;
  @ApiProperty({ type: Number, nullable: true }) offered: number | null;
  @ApiProperty({ type: Number, nullable: true }) accepted: number | null;
  @ApiProperty({ type: Number, nullable: true }) declined: number | null;
  @ApiProperty({ type: Number, nullable: true }) expired: number | null;
  @ApiProperty({ type: Number, nullable: true }) cancelled: number | null;
  @ApiProperty({ type: Number, nullable: true }) completed: number | null;
  @ApiProperty({ type: Number, nullable: true }) didNotAttend: number | null;
}

/** `GET /metrics/service-outcomes`. */
export class ServiceOutcomePage {
  @ApiProperty({ type: DisclosureView }) disclosure: DisclosureView;
  @ApiProperty({ type: [ServiceOutcomeView] }) items: ServiceOutcomeView[];
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
  @ApiProperty() total: number;
}
