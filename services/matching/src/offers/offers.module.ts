import { Module } from '@nestjs/common';
import { ProjectionConsumer } from '../projections/projection.consumer';
import { OfferController } from './offer.controller';
import { OfferExpiryProcessor } from './offer-expiry.processor';
import { OfferService } from './offer.service';

@Module({
  controllers: [OfferController, ProjectionConsumer],
  providers: [OfferService, OfferExpiryProcessor],
  exports: [OfferService],
})
export class OffersModule {}
