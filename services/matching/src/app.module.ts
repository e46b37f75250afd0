import { Module } from '@nestjs/common';
import { PlatformModule } from '@sp/platform';
import { MatchesModule } from './matches/matches.module';
import { MIGRATIONS } from './migrations';
import { OffersModule } from './offers/offers.module';

@Module({
  imports: [
    PlatformModule.forService({ service: 'matching', entities: [], migrations: MIGRATIONS }),
    OffersModule,
    MatchesModule,
  ],
})
export class AppModule {}
