import { Module } from '@nestjs/common';
import { ReferralsModule } from '../referrals/referrals.module';
import { ConsentController } from './consent.controller';
import { ConsentService } from './consent.service';

/** Consent decisions, withdrawals and their history. */
@Module({
  imports: [ReferralsModule],
  controllers: [ConsentController],
  providers: [ConsentService],
})
export class ConsentsModule {}
