import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { withTimeout } from '@sp/messaging';
import Redis from 'ioredis';
import { redisUrl } from './service-config';

/**
 * The service's Redis connection. Commands fail fast while Redis is away (no offline queue) so that
 * health reports it instead of requests hanging.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  readonly client: Redis;

  constructor() {
    this.client = new Redis(redisUrl(), {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.client.on('error', () => undefined); // surfaced through /health, not as log spam
  }

  /**
   * Resolves true once the connection is ready, false after `timeoutMs` (Redis away: the service
   * starts anyway and /health says so). Commands sent before then fail at once, with no offline queue.
   */
  ready(timeoutMs: number): Promise<boolean> {
    if (this.client.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.client.on('ready', onReady);
    });
  }

  async ping(timeoutMs = 1500): Promise<void> {
    await withTimeout(this.client.ping(), timeoutMs, `redis did not answer within ${timeoutMs} ms`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.client.disconnect();
  }
}
