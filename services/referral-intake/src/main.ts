import { bootstrapService } from '@sp/platform';
import { AppModule } from './app.module';
import { MIGRATIONS } from './migrations';

void bootstrapService({
  service: 'referral-intake',
  module: AppModule,
  title: 'Referral Intake service',
  migrations: MIGRATIONS,
}).catch((err: unknown) => {
  console.error('referral-intake failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
