import { ReferralIntake1732100000000 } from './1732100000000-referral-intake';
import { ReferralImportKey1732700000000 } from './1732700000000-referral-import-key';
import { ReferralOutcomes1733000000000 } from './1733000000000-referral-outcomes';

/** This service's own migrations, oldest first (the outbox and inbox tables come from @sp/persistence). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const MIGRATIONS: Function[] = [
  ReferralIntake1732100000000,
  ReferralImportKey1732700000000,
  ReferralOutcomes1733000000000,
];
