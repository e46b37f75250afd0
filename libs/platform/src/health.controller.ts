import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { KafkaHealth, KafkaInboxTransport } from '@sp/messaging';
import { RedisConnection } from './redis.provider';

export const SERVICE_HAS_DATABASE = Symbol('SERVICE_HAS_DATABASE');

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * `/health` is readiness: 200 only when the service's database, Kafka and Redis all answer (and its
 * consumer is not stuck restarting); 503 with the failing parts otherwise. `/health/live` is liveness.
 */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly kafka: KafkaHealth,
    private readonly redis: RedisConnection,
    private readonly db: TypeOrmHealthIndicator,
    @Inject(SERVICE_HAS_DATABASE) private readonly hasDatabase: boolean,
    @Optional() private readonly transport?: KafkaInboxTransport,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    const checks: HealthIndicatorFunction[] = [];
    if (this.hasDatabase) checks.push(() => this.db.pingCheck('database', { timeout: 1500 }));
    checks.push(async () => {
      const s = this.indicators.check('kafka');
      try {
        const info = await this.kafka.ping(2000);
        const consumer = this.transport?.consumerStatus ?? 'none';
        return consumer === 'restarting' ? s.down({ ...info, consumer }) : s.up({ ...info, consumer });
      } catch (err) {
        return s.down({ message: message(err) });
      }
    });
    checks.push(async () => {
      const s = this.indicators.check('redis');
      try {
        await this.redis.ping();
        return s.up();
      } catch (err) {
        return s.down({ message: message(err) });
      }
    });
    return this.health.check(checks);
  }

  @Get('live')
  live() {
    return { status: 'ok' };
  }
}
