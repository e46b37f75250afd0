import { MatchingTables1732500000000 } from './1732500000000-matching-tables';
import { ServiceProfiles1732600000000 } from './1732600000000-service-profiles';
import { PcnSettings1733300000000 } from './1733300000000-pcn-settings';
import { ServiceSettingsSeen1733400000000 } from './1733400000000-service-settings-seen';

/** This service's own migrations, oldest first (the outbox and inbox tables come from @sp/persistence). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const MIGRATIONS: Function[] = [
  MatchingTables1732500000000,
  ServiceProfiles1732600000000,
  PcnSettings1733300000000,
  ServiceSettingsSeen1733400000000,
];
