import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles, type AuthClaims } from '@sp/auth';
import { ValidationProblem } from '@sp/platform';
import { MatchesView } from './match.dto';
import { MatchService } from './match.service';

const referralId = new ParseUUIDPipe({
  exceptionFactory: () =>
    new ValidationProblem([{ field: 'referralId', message: 'referralId must be a UUID' }]),
});

/** `/api/v1/matches`: which services suit a referral, ranked, and why the others do not. */
@ApiTags('matches')
@ApiBearerAuth()
@Controller('matches')
export class MatchController {
  constructor(private readonly matches: MatchService) {}

  @Get(':referralId')
  @Roles('link_worker', 'pcn_ops', 'admin')
  @ApiOkResponse({ type: MatchesView })
  @ApiNotFoundResponse({ description: 'The referral is unknown to matching, or outside your PCN.' })
  get(@CurrentUser() user: AuthClaims, @Param('referralId', referralId) id: string): Promise<MatchesView> {
    return this.matches.matchesFor(user, id);
  }
}
