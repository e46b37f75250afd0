import 'reflect-metadata';
import { INestApplication, Logger, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { JwtVerifier } from '@sp/auth';
import { KafkaInboxTransport } from '@sp/messaging';
import { migrateDatabase, serviceDatabaseUrl } from '@sp/persistence';
import type { Server } from 'node:http';
import { applyKeepAlive } from './keep-alive';
import { bodyReadErrors } from './problem-details.filter';
import { createRateLimitMiddleware, rateLimitPerMinute } from './rate-limit.middleware';
import { RedisConnection } from './redis.provider';
import { createSecurityHeadersMiddleware } from './security-headers.middleware';
import { serviceDescriptor, servicePort } from './service-config';
import { createValidationPipe } from './validation';

export interface BootstrapOptions {
  service: string;
  module: Type<unknown>;
  title: string;
  description?: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations?: Function[];
  port?: number;
  /** Extra setup before listen (the gateway mounts its proxy here). */
  configure?: (app: NestExpressApplication) => void | Promise<void>;
}

export const API_PREFIX = 'api/v1';

/**
 * Boots one service: migrates its database (under an advisory lock, so instances may start
 * together), then serves /api/v1 with validation and JWT auth, /health, /metrics and /docs, and
 * consumes its events through the inbox transport. Every answer carries the security headers
 * (helmet, strict CSP); /api requests are rate-limited per token (RATE_LIMIT_PER_MINUTE, 0 = off).
 */
export async function bootstrapService(opts: BootstrapOptions): Promise<INestApplication> {
  const log = new Logger(opts.service);
  const descriptor = serviceDescriptor(opts.service);
  if (descriptor.database) {
    await migrateDatabase(serviceDatabaseUrl(opts.service, descriptor.database), opts.migrations ?? []);
  }
  const app = await NestFactory.create<NestExpressApplication>(opts.module, {
    bufferLogs: false,
    bodyParser: false,
    // Keeps each parsed body's bytes (at most 1 MB) on req.rawBody: the gateway forwards those, not a
    // re-serialisation that would turn 1e400 into null or merge duplicate keys before a service sees them.
    rawBody: true,
  });
  // Order matters: headers on every answer (429s and 413s included), then the rate limit, so that a
  // caller over its limit costs a Redis round trip and not a parsed megabyte.
  app.use(createSecurityHeadersMiddleware());
  const perMinute = rateLimitPerMinute();
  if (perMinute > 0) {
    // Before the first request: until Redis is connected the limiter counts in this process's memory,
    // so a freshly deployed instance would hand every caller a new budget.
    if (!(await app.get(RedisConnection).ready(5000))) {
      log.warn('Redis is not answering: rate limits count in memory until it is back');
    }
    app.use(
      createRateLimitMiddleware({
        redis: app.get(RedisConnection).client,
        verifier: app.get(JwtVerifier),
        perMinute,
        keyPrefix: `${process.env.SP_QUEUE_PREFIX ?? 'sp'}:rate:${opts.service}`,
      }),
    );
  }
  app.useBodyParser('json', { limit: '1mb', type: ['application/json', 'application/*+json'] });
  app.useBodyParser('urlencoded', { limit: '1mb', extended: false });
  app.use(bodyReadErrors);
  app.disable('x-powered-by');
  app.setGlobalPrefix(API_PREFIX, { exclude: ['health', 'health/live', 'metrics'] });
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  const docs = new DocumentBuilder()
    .setTitle(opts.title)
    .setDescription(opts.description ?? '')
    .setVersion('1')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, docs), {
    jsonDocumentUrl: 'docs/json',
  });

  if (opts.configure) await opts.configure(app);

  if (descriptor.database) {
    app.connectMicroservice({ strategy: app.get(KafkaInboxTransport) }, { inheritAppConfig: true });
    await app.startAllMicroservices();
  }
  const port = opts.port ?? servicePort(opts.service);
  await app.listen(port, '0.0.0.0');
  applyKeepAlive(app.getHttpServer() as Server);
  log.log(`listening on http://localhost:${port} (docs at /docs, health at /health)`);
  return app;
}
