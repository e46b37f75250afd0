import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '@sp/auth';
import { PageQuery, type Page } from '@sp/platform';
import { CreatePcnDto, PcnView } from './pcn.dto';
import { NetworkService } from './network.service';

@ApiTags('network')
@ApiBearerAuth()
@Controller('pcns')
export class NetworkController {
  constructor(private readonly network: NetworkService) {}

  @Post()
  @Roles('admin')
  create(@Body() dto: CreatePcnDto): Promise<PcnView> {
    return this.network.create(dto);
  }

  @Get()
  list(@Query() q: PageQuery): Promise<Page<PcnView>> {
    return this.network.list(q);
  }

  @Get(':code')
  get(@Param('code') code: string): Promise<PcnView> {
    return this.network.get(code);
  }
}
