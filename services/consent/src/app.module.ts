import { Module } from '@nestjs/common';
import { PlatformModule } from '@sp/platform';
import { ConsentRecord } from './consents/consent-record.entity';
import { ConsentsModule } from './consents/consents.module';
import { MIGRATIONS } from './migrations';
import { ReferralProjection } from './referrals/referral-projection.entity';
import { ReferralsModule } from './referrals/referrals.module';

@Module({
  imports: [
    PlatformModule.forService({
      service: 'consent',
      entities: [ReferralProjection, ConsentRecord],
      migrations: MIGRATIONS,
    }),
    ReferralsModule,
    ConsentsModule,
  ],
})
export class AppModule {}
