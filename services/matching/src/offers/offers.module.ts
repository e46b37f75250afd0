import { Module } from '@nestjs/common';
import { OfferController } from './offer.controller';
import { OfferExpiryProcessor } from './offer-expiry.processor';
import { OfferService } from './offer.service';

@Module({
  controllers: [OfferController],
  providers: [OfferService, OfferExpiryProcessor],
  exports: [OfferService],
})
export class OffersModule {}
