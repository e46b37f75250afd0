import { Module } from '@nestjs/common';
import { PlatformModule } from '@sp/platform';
import { MIGRATIONS } from './migrations';
import { NetworkModule } from './network/network.module';
import { OutcomesModule } from './outcomes/outcomes.module';
import { ReferralsModule } from './referrals/referrals.module';

@Module({
  imports: [
    PlatformModule.forService({ service: 'referral-intake', entities: [], migrations: MIGRATIONS }),
    NetworkModule,
    ReferralsModule,
    OutcomesModule,
  ],
})
export class AppModule {}
