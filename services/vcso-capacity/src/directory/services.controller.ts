import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '@sp/auth';
import { ValidationProblem } from '@sp/platform';
import { CreateServiceDto, ListServicesQuery, ServicePage, ServiceView } from './directory.dto';
import { DirectoryService } from './directory.service';

const serviceId = new ParseUUIDPipe({
  exceptionFactory: () => new ValidationProblem([{ field: 'id', message: 'id must be a UUID' }]),
});

/** `/api/v1/services`: the directory of VCSO services with their live load; anyone signed in reads it. */
@ApiTags('services')
@ApiBearerAuth()
@Controller('services')
export class ServicesController {
  constructor(private readonly directory: DirectoryService) {}

  @Post()
  @Roles('pcn_ops', 'admin')
  @ApiCreatedResponse({ type: ServiceView })
  create(@Body() body: CreateServiceDto): Promise<ServiceView> {
    return this.directory.createService(body);
  }

  @Get()
  @ApiOkResponse({ type: ServicePage })
  list(@Query() query: ListServicesQuery): Promise<ServicePage> {
    return this.directory.listServices(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: ServiceView })
  @ApiNotFoundResponse({ description: 'No such service.' })
  get(@Param('id', serviceId) id: string): Promise<ServiceView> {
    return this.directory.getService(id);
  }
}
