import { Module } from '@nestjs/common';
import { Clock } from '../common/clock';
import { GeographyModule } from '../geography/geography.module';
import { CapacityJobsProcessor } from './capacity-jobs.processor';
import { CapacityQueue } from './capacity-queue';
import { CapacityControlsService } from './capacity-controls.service';
import { CapacityController } from './capacity.controller';
import { CapacityService } from './capacity.service';
import { OfferEventsConsumer } from './offer-events.consumer';

/** Limits, pauses, live load and its events; the delayed jobs that reopen and warn. */
@Module({
  imports: [GeographyModule],
  controllers: [CapacityController, OfferEventsConsumer],
  providers: [Clock, CapacityQueue, CapacityService, CapacityJobsProcessor, CapacityControlsService],
  exports: [CapacityService, Clock],
})
export class CapacityModule {}
