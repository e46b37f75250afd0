import { bootstrapService } from '@sp/platform';
import { AppModule } from './app.module';
import { MIGRATIONS } from './migrations';

void bootstrapService({
  service: 'matching',
  module: AppModule,
  title: 'Matching service',
  migrations: MIGRATIONS,
}).catch((err: unknown) => {
  console.error('matching failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
