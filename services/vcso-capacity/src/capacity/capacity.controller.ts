import { Body, Controller, Get, Param, ParseUUIDPipe, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles, type AuthClaims } from '@sp/auth';
import { ValidationProblem } from '@sp/platform';
import { ServiceView } from '../directory/directory.dto';
import { ActivityView, UpdateCapacityDto } from './capacity.dto';
import { CapacityControlsService } from './capacity-controls.service';

const serviceId = new ParseUUIDPipe({
  exceptionFactory: () => new ValidationProblem([{ field: 'id', message: 'id must be a UUID' }]),
});

/** `/api/v1/services/:id/capacity` and `/activity`: a service's own coordinators, and the PCN. */
@ApiTags('capacity')
@ApiBearerAuth()
@Roles('vcso_coordinator', 'pcn_ops', 'admin')
@Controller('services')
export class CapacityController {
  constructor(private readonly controls: CapacityControlsService) {}

  @Put(':id/capacity')
  @ApiOkResponse({ type: ServiceView })
  @ApiNotFoundResponse({ description: 'No such service, or not one of your organisation’s.' })
  update(
    @CurrentUser() user: AuthClaims,
    @Param('id', serviceId) id: string,
    @Body() body: UpdateCapacityDto,
  ): Promise<ServiceView> {
    return this.controls.update(user, id, body);
  }

  @Get(':id/activity')
  @ApiOkResponse({ type: ActivityView })
  @ApiNotFoundResponse({ description: 'No such service, or not one of your organisation’s.' })
  activity(@CurrentUser() user: AuthClaims, @Param('id', serviceId) id: string): Promise<ActivityView> {
    return this.controls.activity(user, id);
  }
}
