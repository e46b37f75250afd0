import { Module } from '@nestjs/common';
import { PlatformModule } from '@sp/platform';
import { CapacityModule } from './capacity/capacity.module';
import { OfferActivity } from './capacity/offer-activity.entity';
import { DirectoryModule } from './directory/directory.module';
import { Organisation } from './directory/organisation.entity';
import { VcsoService } from './directory/vcso-service.entity';
import { GeographyModule } from './geography/geography.module';
import { PostcodeGeography } from './geography/postcode-geography.entity';
import { MIGRATIONS } from './migrations';

@Module({
  imports: [
    PlatformModule.forService({
      service: 'vcso-capacity',
      entities: [Organisation, VcsoService, PostcodeGeography, OfferActivity],
      migrations: MIGRATIONS,
    }),
    GeographyModule,
    CapacityModule,
    DirectoryModule,
  ],
})
export class AppModule {}
