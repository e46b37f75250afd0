import { Module } from '@nestjs/common';
import { OffersModule } from '../offers/offers.module';
import { ProjectionConsumer } from '../projections/projection.consumer';
import { MatchController } from './match.controller';
import { MatchService } from './match.service';
import { WaitlistSweeper } from './waitlist.sweeper';

/** Candidates, automatic offers, the waitlist and unmet need, over the projections it keeps. */
@Module({
  imports: [OffersModule],
  controllers: [MatchController, ProjectionConsumer],
  providers: [MatchService, WaitlistSweeper],
})
export class MatchesModule {}
