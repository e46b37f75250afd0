import { bootstrapService } from '@sp/platform';
import { AppModule } from './app.module';
import { MIGRATIONS } from './migrations';

void bootstrapService({
  service: 'vcso-capacity',
  module: AppModule,
  title: 'VCSO capacity service',
  migrations: MIGRATIONS,
}).catch((err: unknown) => {
  console.error('vcso-capacity failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
