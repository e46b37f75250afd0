import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles, type AuthClaims } from '@sp/auth';
import { ValidationProblem, type Page } from '@sp/platform';
import type { Response } from 'express';
import { AssessmentDto, CloseReferralDto, CreateReferralDto, ListReferralsQuery } from './referral.dto';
import { ContactView, ReferralService, ReferralView } from './referral.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

// A malformed id names nothing that exists: the same 404 as any other unknown referral.
export function referralId(id: string): string {
  if (!UUID.test(id)) throw new NotFoundException('referral not found');
  return id.toLowerCase();
}

@ApiTags('referrals')
@ApiBearerAuth()
@Controller('referrals')
export class ReferralController {
  constructor(private readonly referrals: ReferralService) {}

  @Post()
  @Roles('referrer', 'link_worker', 'pcn_ops')
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Retry-safe key, scoped to the caller',
  })
  async create(
    @CurrentUser() user: AuthClaims,
    @Body() dto: CreateReferralDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ReferralView> {
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new ValidationProblem([
        { field: 'Idempotency-Key', message: 'must be 1 to 200 printable characters without spaces' },
      ]);
    }
    const { referral, replay } = await this.referrals.create(user, dto, key);
    res.status(replay ? 200 : 201);
    return referral;
  }

  @Get()
  @Roles('referrer', 'link_worker', 'pcn_ops', 'admin')
  list(@CurrentUser() user: AuthClaims, @Query() q: ListReferralsQuery): Promise<Page<ReferralView>> {
    return this.referrals.list(user, q);
  }

  @Get(':id')
  get(@CurrentUser() user: AuthClaims, @Param('id') id: string): Promise<ReferralView> {
    return this.referrals.get(user, referralId(id));
  }

  @Post(':id/assessment')
  @HttpCode(200)
  @Roles('link_worker')
  assess(
    @CurrentUser() user: AuthClaims,
    @Param('id') id: string,
    @Body() dto: AssessmentDto,
  ): Promise<ReferralView> {
    return this.referrals.assess(user, referralId(id), dto);
  }

  @Post(':id/close')
  @HttpCode(200)
  @Roles('link_worker', 'pcn_ops')
  close(
    @CurrentUser() user: AuthClaims,
    @Param('id') id: string,
    @Body() dto: CloseReferralDto,
  ): Promise<ReferralView> {
    return this.referrals.close(user, referralId(id), dto);
  }

  @Get(':id/contact')
  @Roles('vcso_coordinator')
  contact(@CurrentUser() user: AuthClaims, @Param('id') id: string): Promise<ContactView> {
    return this.referrals.contact(user, referralId(id));
  }
}
