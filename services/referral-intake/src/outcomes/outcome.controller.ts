import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, Roles, type AuthClaims } from '@sp/auth';
import { referralId } from '../referrals/referral.controller';
import { parseRecordOutcome, RecordOutcomeDto } from './outcome.dto';
import { OutcomeService, OutcomeView } from './outcome.service';

/** `/api/v1/referrals/:id/outcomes`: wellbeing measures before and after support. */
@ApiTags('outcomes')
@ApiBearerAuth()
@Roles('link_worker', 'pcn_ops')
@Controller('referrals/:id/outcomes')
export class OutcomeController {
  constructor(private readonly outcomes: OutcomeService) {}

  @Post()
  @ApiBody({ type: RecordOutcomeDto })
  @ApiCreatedResponse({ description: '{id, referralId, measure, stage, scores, total, recordedAt}' })
  @ApiNotFoundResponse({ description: 'No such referral in your PCN.' })
  @ApiConflictResponse({
    description: 'No consent granted, that stage already recorded, or a follow-up before its baseline.',
  })
  // The body is typed `unknown` so that the global pipe leaves it alone: parseRecordOutcome validates it
  // with the same class-validator rules and can also name each bad score by position (`scores[2]`).
  record(
    @CurrentUser() user: AuthClaims,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<OutcomeView> {
    const dto = parseRecordOutcome(body);
    return this.outcomes.record(user, referralId(id), dto);
  }

  @Get()
  async list(
    @CurrentUser() user: AuthClaims,
    @Param('id') id: string,
  ): Promise<{ items: OutcomeView[]; page: number; pageSize: number; total: number }> {
    const items = await this.outcomes.list(user, referralId(id));
    return { items, page: 1, pageSize: items.length, total: items.length };
  }
}
