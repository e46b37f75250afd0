import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { withTimeout } from '@sp/messaging';
import { redisUrl } from '@sp/platform';
import { Queue, type ConnectionOptions } from 'bullmq';

const ARM_TIMEOUT_MS = 1500;

/** The jobs this service schedules, by name, with their data. */
export interface CapacityJobs {
  /** Reopen a paused service when its pause ends. */
  reopen: { serviceId: string; untilMs: number };
  /** Raise the early warning if the service is still limited or full. */
  alert: { serviceId: string; sinceMs: number };
  /** Zero every service's weekly count when the London week turns over. */
  'week-rollover': { weekStartMs: number };
}
export type CapacityJobName = keyof CapacityJobs;

/** The queue's name: one per service app; tests give theirs a name of their own. */
export function capacityQueueName(env: NodeJS.ProcessEnv = process.env): string {
  return env.CAPACITY_QUEUE_NAME || 'vcso-capacity';
}

/** BullMQ wants host/port options (and no retry limit per request for its blocking worker). */
export function bullConnection(url = redisUrl()): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    maxRetriesPerRequest: null,
  };
}

/**
 * Delayed jobs in Redis. Redis is only the alarm clock: every deadline is also in Postgres (pause end,
 * start of a strained episode), and CapacityJobsProcessor re-arms from there at boot, because Redis here
 * keeps nothing on disk. Job ids are derived from the deadline, so arming twice is harmless.
 */
@Injectable()
export class CapacityQueue implements OnApplicationShutdown {
  private readonly log = new Logger('capacity-queue');
  readonly name = capacityQueueName();
  readonly queue = new Queue(this.name, { connection: bullConnection() });

  constructor() {
    this.queue.on('error', (err) => this.log.warn(`queue error: ${err.message}`));
  }

  async arm<N extends CapacityJobName>(name: N, data: CapacityJobs[N], at: Date, now: Date): Promise<void> {
    const key = Object.values(data).join('_');
    await this.queue.add(name, data, {
      jobId: `${name}_${key}`,
      delay: Math.max(0, at.getTime() - now.getTime()),
      removeOnComplete: true,
      removeOnFail: 100,
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
    });
  }

  /**
   * Arms without failing or holding up the caller (which may hold a row lock): Postgres holds the
   * deadline, and boot re-arms a job Redis never got. BullMQ queues commands while Redis is away, so
   * the wait is cut short rather than left to hang.
   */
  async armQuietly<N extends CapacityJobName>(
    name: N,
    data: CapacityJobs[N],
    at: Date,
    now: Date,
  ): Promise<void> {
    try {
      await withTimeout(
        this.arm(name, data, at, now),
        ARM_TIMEOUT_MS,
        `redis did not answer within ${ARM_TIMEOUT_MS} ms`,
      );
    } catch (err) {
      this.log.warn(`could not arm ${name} job (re-armed at next boot): ${(err as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}
