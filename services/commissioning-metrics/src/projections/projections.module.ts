import { Module } from '@nestjs/common';
import { AnalyticsPublisher } from './analytics-publisher';
import { CapacityEventsConsumer } from './capacity-events.consumer';
import { ConsentEventsConsumer } from './consent-events.consumer';
import { IcsRemap } from './ics-remap';
import { MatchingEventsConsumer } from './matching-events.consumer';
import { OutcomeEventsConsumer } from './outcome-events.consumer';
import { PcnEventsConsumer } from './pcn-events.consumer';
import { ReferralEventsConsumer } from './referral-events.consumer';
import { ReferralFactsService } from './referral-facts.service';

/** Every topic in, commissioning projections and the analytics stream out. */
@Module({
  controllers: [
    ReferralEventsConsumer,
    ConsentEventsConsumer,
    MatchingEventsConsumer,
    CapacityEventsConsumer,
    OutcomeEventsConsumer,
    PcnEventsConsumer,
  ],
  providers: [ReferralFactsService, AnalyticsPublisher, IcsRemap],
})
export class ProjectionsModule {}
