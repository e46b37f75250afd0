import { Controller, Get, Header, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ValidationProblem } from '@sp/platform';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles, type AuthClaims } from '@sp/auth';
import {
  HistoryQuery,
  LoadHistoryView,
  LoadQuery,
  MetricsQuery,
  ServiceLoadPage,
  ServiceOutcomePage,
  SummaryView,
  UnmetNeedPage,
} from './metrics.dto';
import { MetricsService } from './metrics.service';

const serviceId = new ParseUUIDPipe({
  exceptionFactory: () =>
    new ValidationProblem([{ field: 'serviceId', message: 'serviceId must be a UUID' }]),
});

/**
 * `/api/v1/metrics/*`: commissioning figures. A PCN's operations team sees its own PCN exactly; an ICS
 * analyst sees the ICS with counts from 1 to 7 suppressed and the rest rounded to 5 (invariant 5).
 */
@ApiTags('metrics')
@ApiBearerAuth()
@Roles('pcn_ops', 'ics_analyst', 'admin')
@Controller('metrics')
export class FiguresController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('summary')
  @ApiOkResponse({ type: SummaryView })
  @ApiNotFoundResponse({ description: 'A PCN outside your scope.' })
  summary(@CurrentUser() user: AuthClaims, @Query() query: MetricsQuery): Promise<SummaryView> {
    return this.metrics.summary(user, query);
  }

  @Get('vcso-load')
  @ApiOkResponse({ type: ServiceLoadPage })
  vcsoLoad(@CurrentUser() user: AuthClaims, @Query() query: LoadQuery): Promise<ServiceLoadPage> {
    return this.metrics.vcsoLoad(user, query.page ?? 1, query.pageSize ?? 500);
  }

  @Get('vcso-load/:serviceId/history')
  @ApiOkResponse({ type: LoadHistoryView })
  @ApiNotFoundResponse({ description: 'No such service in your ICS.' })
  loadHistory(
    @CurrentUser() user: AuthClaims,
    @Param('serviceId', serviceId) id: string,
    @Query() query: HistoryQuery,
  ): Promise<LoadHistoryView> {
    return this.metrics.loadHistory(user, id, query);
  }

  @Get('service-outcomes')
  @ApiOkResponse({ type: ServiceOutcomePage })
  @ApiNotFoundResponse({ description: 'A PCN outside your scope.' })
  serviceOutcomes(
    @CurrentUser() user: AuthClaims,
    @Query() query: MetricsQuery,
  ): Promise<ServiceOutcomePage> {
    return this.metrics.serviceOutcomes(user, query);
  }

  @Get('unmet-need')
  @ApiOkResponse({ type: UnmetNeedPage })
  @ApiNotFoundResponse({ description: 'A PCN outside your scope.' })
  unmetNeed(@CurrentUser() user: AuthClaims, @Query() query: MetricsQuery): Promise<UnmetNeedPage> {
    return this.metrics.unmetNeed(user, query);
  }

  @Get('export.csv')
  @Header('content-type', 'text/csv; charset=utf-8')
  @Header('content-disposition', 'attachment; filename="commissioning-metrics.csv"')
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'One row per ISO week, PCN, practice and need; suppressed cells are *.' })
  exportCsv(@CurrentUser() user: AuthClaims, @Query() query: MetricsQuery): Promise<string> {
    return this.metrics.exportCsv(user, query);
  }
}
