/** Runs every service's pending migrations against its own database (created when missing). */
import { SERVICES } from '@sp/platform';
import { migrateDatabase, serviceDatabaseUrl } from '@sp/persistence';
import { MIGRATIONS as commissioningMetrics } from '../services/commissioning-metrics/src/migrations';
import { MIGRATIONS as consent } from '../services/consent/src/migrations';
import { MIGRATIONS as matching } from '../services/matching/src/migrations';
import { MIGRATIONS as referralIntake } from '../services/referral-intake/src/migrations';
import { MIGRATIONS as vcsoCapacity } from '../services/vcso-capacity/src/migrations';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
const BY_SERVICE: Record<string, Function[]> = {
  'referral-intake': referralIntake,
  consent,
  matching,
  'vcso-capacity': vcsoCapacity,
  'commissioning-metrics': commissioningMetrics,
};

export async function migrateAll(): Promise<void> {
  for (const s of SERVICES) {
    if (!s.database) continue;
    const migrations = BY_SERVICE[s.name];
    if (!migrations) throw new Error(`scripts/migrate.ts does not know the migrations of ${s.name}`);
    const ran = await migrateDatabase(serviceDatabaseUrl(s.name, s.database), migrations);
    if (ran.length) console.log(`  ${s.name}: ${ran.join(', ')}`);
  }
}

if (require.main === module) {
  migrateAll().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('migration failed:', err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
