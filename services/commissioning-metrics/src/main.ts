import { bootstrapService } from '@sp/platform';
import { AppModule } from './app.module';
import { MIGRATIONS } from './migrations';

void bootstrapService({
  service: 'commissioning-metrics',
  module: AppModule,
  title: 'Commissioning Metrics service',
  migrations: MIGRATIONS,
}).catch((err: unknown) => {
  console.error('commissioning-metrics failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
