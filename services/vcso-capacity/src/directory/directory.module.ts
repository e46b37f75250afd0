import { Module } from '@nestjs/common';
import { CapacityModule } from '../capacity/capacity.module';
import { GeographyModule } from '../geography/geography.module';
import { DirectoryService } from './directory.service';
import { OrganisationsController } from './organisations.controller';
import { ServicesController } from './services.controller';

/** Organisations and services: the directory matching and link workers search. */
@Module({
  imports: [GeographyModule, CapacityModule],
  controllers: [OrganisationsController, ServicesController],
  providers: [DirectoryService],
})
export class DirectoryModule {}
