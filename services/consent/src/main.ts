import { bootstrapService } from '@sp/platform';
import { AppModule } from './app.module';
import { MIGRATIONS } from './migrations';

void bootstrapService({
  service: 'consent',
  module: AppModule,
  title: 'Consent service',
  migrations: MIGRATIONS,
}).catch((err: unknown) => {
  console.error('consent failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
