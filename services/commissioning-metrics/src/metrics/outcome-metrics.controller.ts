import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles, type AuthClaims } from '@sp/auth';
import { MetricsQuery } from './metrics.dto';
import { OutcomePage } from './outcome-metrics.dto';
import { OutcomeMetricsService } from './outcome-metrics.service';

/**
 * `/api/v1/metrics/outcomes`: average change in wellbeing (ONS4, SWEMWBS) per service, need and measure.
 * Scoped like the other figures: a PCN's team sees its own PCN exactly; an ICS analyst sees `pairs` under
 * the small-number rule, and no means for a row whose count is suppressed.
 */
@ApiTags('metrics')
@ApiBearerAuth()
@Roles('pcn_ops', 'ics_analyst', 'admin')
@Controller('metrics')
export class OutcomeMetricsController {
  constructor(private readonly outcomes: OutcomeMetricsService) {}

  @Get('outcomes')
  @ApiOkResponse({
    type: OutcomePage,
    description:
      'Pairs are referrals with a baseline and a follow-up of the measure, whose follow-up was recorded in ' +
      '[from, to). ONS4 anxiety: lower is better, so a negative meanChange is an improvement.',
  })
  @ApiNotFoundResponse({ description: 'A PCN outside your scope.' })
  list(@CurrentUser() user: AuthClaims, @Query() query: MetricsQuery): Promise<OutcomePage> {
    return this.outcomes.outcomes(user, query);
  }

  @Get('outcomes.csv')
  @Header('content-type', 'text/csv; charset=utf-8')
  @Header('content-disposition', 'attachment; filename="wellbeing-outcomes.csv"')
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'One row per service, need, measure and item; suppressed cells are *.' })
  csv(@CurrentUser() user: AuthClaims, @Query() query: MetricsQuery): Promise<string> {
    return this.outcomes.outcomesCsv(user, query);
  }
}
