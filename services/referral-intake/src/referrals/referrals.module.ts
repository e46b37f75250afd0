import { Module } from '@nestjs/common';
import { NetworkModule } from '../network/network.module';
import { intakeCryptoFromEnv } from '../security/intake-crypto';
import { ReferralController } from './referral.controller';
import { ReferralImportController } from './referral-import.controller';
import { ReferralImportService } from './referral-import.service';
import { ReferralEventsConsumer } from './referral-events.consumer';
import { INTAKE_CRYPTO, ReferralService } from './referral.service';
import { ReferralStore } from './referral-store';

/** Intake, the encrypted identity record, the lifecycle and the closed-loop timeline. */
@Module({
  imports: [NetworkModule],
  controllers: [ReferralImportController, ReferralController, ReferralEventsConsumer],
  providers: [
    ReferralService,
    ReferralImportService,
    ReferralStore,
    // Built at start-up so that a missing key in production stops the service before it listens.
    { provide: INTAKE_CRYPTO, useFactory: () => intakeCryptoFromEnv() },
  ],
  // Outcomes lock and extend the same referral rows and timeline.
  exports: [ReferralStore],
})
export class ReferralsModule {}
