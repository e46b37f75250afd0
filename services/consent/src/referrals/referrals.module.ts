import { Module } from '@nestjs/common';
import { ReferralEventsConsumer } from './referral-events.consumer';
import { ReferralProjectionService } from './referral-projection.service';

/** The referral projection: intake's events in, scope and lock out. */
@Module({
  controllers: [ReferralEventsConsumer],
  providers: [ReferralProjectionService],
  exports: [ReferralProjectionService],
})
export class ReferralsModule {}
