import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MessagingModule } from '@sp/messaging';
import { serviceDatabaseUrl, serviceDataSourceOptions } from '@sp/persistence';
import { AuthModule } from '@sp/auth';
import type { EntitySchema, MixedList } from 'typeorm';
import { BodyMediaTypeInterceptor } from './body-media-type.interceptor';
import { HealthController, SERVICE_HAS_DATABASE } from './health.controller';
import { MetricsController } from './metrics.controller';
import { ProblemDetailsFilter } from './problem-details.filter';
import { RedisConnection } from './redis.provider';
import { serviceDescriptor } from './service-config';

export interface PlatformOptions {
  /** As named in infra/services.json. */
  service: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations?: Function[];
}

/**
 * Everything a service has in common: its own database (TypeORM, snake_case, outbox and inbox
 * tables), Kafka messaging, Redis, JWT auth on /api, problem+json errors, /health and /metrics.
 */
@Module({})
export class PlatformModule {
  static forService(opts: PlatformOptions): DynamicModule {
    const descriptor = serviceDescriptor(opts.service);
    const imports: DynamicModule['imports'] = [TerminusModule, AuthModule.forRoot()];
    if (descriptor.database) {
      const database = descriptor.database;
      imports.push(
        // Resolved when the app is created, not when this module is declared, so the environment a
        // process (or a test) sets before booting decides which database a service uses.
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...serviceDataSourceOptions({
              url: serviceDatabaseUrl(opts.service, database),
              entities: opts.entities,
              migrations: opts.migrations,
              applicationName: opts.service,
            }),
            // Keep booting when the database is briefly away; /health says so meanwhile.
            retryAttempts: 30,
            retryDelay: 1000,
          }),
        }),
      );
      imports.push(MessagingModule.forRoot({ service: opts.service }));
    } else {
      imports.push(MessagingModule.forRoot({ service: opts.service, database: false }));
    }
    return {
      module: PlatformModule,
      global: true,
      imports,
      controllers: [HealthController, MetricsController],
      providers: [
        RedisConnection,
        { provide: SERVICE_HAS_DATABASE, useValue: descriptor.database !== null },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_INTERCEPTOR, useClass: BodyMediaTypeInterceptor },
      ],
      exports: [RedisConnection],
    };
  }
}
