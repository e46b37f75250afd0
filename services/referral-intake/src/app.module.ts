import { Module } from '@nestjs/common';
import { PlatformModule } from '@sp/platform';
import { MIGRATIONS } from './migrations';
import { NetworkModule } from './network/network.module';
import { ReferralsModule } from './referrals/referrals.module';

@Module({
  imports: [
    PlatformModule.forService({ service: 'referral-intake', entities: [], migrations: MIGRATIONS }),
    NetworkModule,
    ReferralsModule,
  ],
})
export class AppModule {}
