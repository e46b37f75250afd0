import { Module } from '@nestjs/common';
import { PlatformModule } from '@sp/platform';
import { MIGRATIONS } from './migrations';
import { OffersModule } from './offers/offers.module';

@Module({
  imports: [
    PlatformModule.forService({ service: 'matching', entities: [], migrations: MIGRATIONS }),
    OffersModule,
  ],
})
export class AppModule {}
