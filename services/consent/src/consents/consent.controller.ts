import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, Roles, type AuthClaims } from '@sp/auth';
import { ValidationProblem } from '@sp/platform';
import {
  ConsentPage,
  ConsentView,
  ListConsentsQuery,
  RecordConsentDto,
  WithdrawConsentDto,
} from './consent.dto';
import { ConsentService } from './consent.service';

const consentId = new ParseUUIDPipe({
  exceptionFactory: () => new ValidationProblem([{ field: 'id', message: 'id must be a UUID' }]),
});

/** `/api/v1/consents`: the person's decision about their referral, its withdrawal, and the history. */
@ApiTags('consents')
@ApiBearerAuth()
@Roles('link_worker', 'pcn_ops', 'admin')
@Controller('consents')
export class ConsentController {
  constructor(private readonly consents: ConsentService) {}

  @Post()
  @ApiCreatedResponse({ type: ConsentView })
  @ApiNotFoundResponse({ description: 'The referral is unknown or outside your PCN.' })
  @ApiConflictResponse({ description: 'The referral is closed or a decision already stands.' })
  record(@CurrentUser() user: AuthClaims, @Body() body: RecordConsentDto): Promise<ConsentView> {
    return this.consents.record(user, body);
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @ApiOkResponse({ type: ConsentView })
  @ApiNotFoundResponse({ description: 'The consent is unknown or outside your PCN.' })
  @ApiConflictResponse({ description: 'The consent was not granted, or is already withdrawn.' })
  withdraw(
    @CurrentUser() user: AuthClaims,
    @Param('id', consentId) id: string,
    @Body() body: WithdrawConsentDto,
  ): Promise<ConsentView> {
    return this.consents.withdraw(user, id, body);
  }

  @Get()
  @ApiOkResponse({ type: ConsentPage })
  @ApiNotFoundResponse({ description: 'The referral is unknown or outside your PCN.' })
  list(@CurrentUser() user: AuthClaims, @Query() query: ListConsentsQuery): Promise<ConsentPage> {
    return this.consents.history(user, query);
  }
}
