import { bootstrapService } from '@sp/platform';
import { AppModule } from './app.module';
import { mountProxies } from './proxy';

void bootstrapService({
  service: 'gateway',
  module: AppModule,
  title: 'Gateway',
  description: 'Routes /api/v1/* to the owning service; serves the console.',
  configure: (app) => mountProxies(app),
}).catch((err: unknown) => {
  console.error('gateway failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
