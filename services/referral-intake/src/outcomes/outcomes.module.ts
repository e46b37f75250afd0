import { Module } from '@nestjs/common';
import { ReferralsModule } from '../referrals/referrals.module';
import { OutcomeController } from './outcome.controller';
import { OutcomeService } from './outcome.service';

/** Wellbeing outcomes of referrals (ONS4, SWEMWBS), on the referral's own row lock and timeline. */
@Module({
  imports: [ReferralsModule],
  controllers: [OutcomeController],
  providers: [OutcomeService],
})
export class OutcomesModule {}
