import { Module } from '@nestjs/common';
import { ProjectionConsumer } from '../projections/projection.consumer';
import { OfferController } from './offer.controller';
import { OfferService } from './offer.service';

@Module({
  controllers: [OfferController, ProjectionConsumer],
  providers: [OfferService],
  exports: [OfferService],
})
export class OffersModule {}
