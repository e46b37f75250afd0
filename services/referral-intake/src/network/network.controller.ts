import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '@sp/auth';
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
  async list(): Promise<{ items: PcnView[]; page: number; pageSize: number; total: number }> {
    const items = await this.network.list();
    return { items, page: 1, pageSize: items.length, total: items.length };
  }

  @Get(':code')
  get(@Param('code') code: string): Promise<PcnView> {
    return this.network.get(code);
  }
}
