import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '@sp/auth';
import { PageQuery } from '@sp/platform';
import { CreateOrganisationDto, OrganisationPage, OrganisationView } from './directory.dto';
import { DirectoryService } from './directory.service';

/** `/api/v1/organisations`: the VCSOs, kept by the PCN. */
@ApiTags('organisations')
@ApiBearerAuth()
@Roles('pcn_ops', 'admin')
@Controller('organisations')
export class OrganisationsController {
  constructor(private readonly directory: DirectoryService) {}

  @Post()
  @ApiCreatedResponse({ type: OrganisationView })
  create(@Body() body: CreateOrganisationDto): Promise<OrganisationView> {
    return this.directory.createOrganisation(body);
  }

  @Get()
  @ApiOkResponse({ type: OrganisationPage })
  list(@Query() query: PageQuery): Promise<OrganisationPage> {
    return this.directory.listOrganisations(query);
  }
}
