import { INestApplication } from '@nestjs/common';
import { bootstrapService } from '@sp/platform';
import { AppModule } from './app.module';
import { mountConsole } from './console/console';
import { mountProxies } from './proxy';

/** Boots the gateway: the /api/v1 proxies first, then the console (so API paths never touch the disk). */
export function startGateway(opts: { port?: number } = {}): Promise<INestApplication> {
  return bootstrapService({
    service: 'gateway',
    module: AppModule,
    title: 'Gateway',
    description: 'Routes /api/v1/* to the owning service; serves the console.',
    port: opts.port,
    configure: (app) => {
      mountProxies(app);
      mountConsole(app);
    },
  });
}
