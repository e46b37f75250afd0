import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SHORT_CODE_PATTERN } from '@sp/contracts';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export const SETTABLE_STATUSES = ['open', 'paused'] as const;
export type SettableStatus = (typeof SETTABLE_STATUSES)[number];

/** `reopenOn`: an RFC 3339 date-time, or a calendar date meaning midnight starting it in London. */
export const REOPEN_ON_PATTERN =
  /^\d{4}-\d{2}-\d{2}$|^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Body of `PUT /services/:id/capacity`: what a coordinator or the PCN may change. */
export class UpdateCapacityDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 100000 })
  @IsOptional()
  @IsInt({ message: 'maxActive must be a whole number' })
  @Min(0, { message: 'maxActive must be at least 0' })
  @Max(100000, { message: 'maxActive must be at most 100000' })
  maxActive?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 10000 })
  @IsOptional()
  @IsInt({ message: 'weeklyIntake must be a whole number' })
  @Min(0, { message: 'weeklyIntake must be at least 0' })
  @Max(10000, { message: 'weeklyIntake must be at most 10000' })
  weeklyIntake?: number;

  @ApiPropertyOptional({ enum: SETTABLE_STATUSES, description: 'paused to pause by hand, open to resume.' })
  @IsOptional()
  @IsIn(SETTABLE_STATUSES, { message: 'status must be open or paused' })
  status?: SettableStatus;

  @ApiPropertyOptional({
    example: 'volunteer-shortage',
    description: 'Why it is paused, as a short code (never prose: it must not carry anything personal).',
  })
  @IsOptional()
  @IsString({ message: 'reason must be a short code such as volunteer-shortage' })
  @MaxLength(40, { message: 'reason must be at most 40 characters' })
  @Matches(SHORT_CODE_PATTERN, { message: 'reason must be a short code such as volunteer-shortage' })
  reason?: string;

  @ApiPropertyOptional({
    example: '2026-12-01',
    description: 'With a pause: when it reopens by itself (a date means midnight London time).',
  })
  @IsOptional()
  @IsString({ message: 'reopenOn must be a date (YYYY-MM-DD) or an RFC 3339 date-time' })
  @Matches(REOPEN_ON_PATTERN, { message: 'reopenOn must be a date (YYYY-MM-DD) or an RFC 3339 date-time' })
  reopenOn?: string;
}

/** Counts of a service's offers over one period. */
export class ActivityCounts {
  @ApiProperty() offered: number;
  @ApiProperty() accepted: number;
  @ApiProperty() declined: number;
  @ApiProperty() completed: number;
  @ApiProperty() didNotAttend: number;
  @ApiProperty() expired: number;
  @ApiProperty() cancelled: number;
}

/** `GET /services/:id/activity`: what happened to a service's offers this London week and month. */
export class ActivityView {
  @ApiProperty({ format: 'uuid' }) serviceId: string;
  @ApiProperty({ example: '2026-W47' }) week: string;
  @ApiProperty({ example: '2026-11' }) month: string;
  @ApiProperty({ type: ActivityCounts }) thisWeek: ActivityCounts;
  @ApiProperty({ type: ActivityCounts }) thisMonth: ActivityCounts;
}
