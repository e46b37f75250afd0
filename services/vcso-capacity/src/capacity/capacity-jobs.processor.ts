import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Worker, type Job } from 'bullmq';
import type { DataSource } from 'typeorm';
import { nextLondonWeekStart } from '../common/london-time';
import { bullConnection, CapacityQueue, type CapacityJobName, type CapacityJobs } from './capacity-queue';
import { alertAfterMs, CapacityService } from './capacity.service';

const REARM_INTERVAL_MS = Number(process.env.CAPACITY_REARM_INTERVAL_MS ?? 60_000);

/**
 * Runs the capacity service's delayed jobs, and at boot re-arms every deadline Postgres holds (Redis
 * may have lost them): a pause end or early warning already due is handled at once, the others armed.
 */
@Injectable()
export class CapacityJobsProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('capacity-jobs');
  private worker?: Worker;
  private sweep?: NodeJS.Timeout;
  private announced = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly capacity: CapacityService,
    private readonly queue: CapacityQueue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.worker = new Worker(this.queue.name, (job: Job) => this.process(job), {
      connection: bullConnection(),
      concurrency: 4,
    });
    this.worker.on('error', (err) => this.log.warn(`worker error: ${err.message}`));
    this.worker.on('failed', (job, err) => this.log.warn(`job ${job?.name ?? '?'} failed: ${err.message}`));
    await this.rearm();
    // Redis may also lose jobs while this service runs (a restart, or away when a job was armed): the
    // same sweep as at boot, now and then, puts them back. Arming is idempotent.
    this.sweep = setInterval(() => {
      this.rearm().catch((err: unknown) =>
        this.log.warn(`re-arming failed (tried again later): ${(err as Error).message}`),
      );
    }, REARM_INTERVAL_MS);
    this.sweep.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweep);
    await this.worker?.close();
  }

  /** Handles one job by name; exported behaviour for tests is the state it leaves in Postgres. */
  async process(job: Job): Promise<void> {
    const name = job.name as CapacityJobName;
    switch (name) {
      case 'reopen': {
        const data = job.data as CapacityJobs['reopen'];
        await this.capacity.reopenIfDue(data.serviceId);
        return;
      }
      case 'alert': {
        const data = job.data as CapacityJobs['alert'];
        await this.capacity.alertIfDue(data.serviceId);
        return;
      }
      case 'week-rollover':
        await this.capacity.rollWeek();
        await this.armWeekRollover();
        return;
      default: {
        const unknown: never = name;
        this.log.warn(`unknown job ${String(unknown)} ignored`);
      }
    }
  }

  /** Re-arms every deadline from Postgres; what is already due happens now. */
  async rearm(): Promise<void> {
    const now = this.capacity.clock.now();
    const pauses: { id: string; paused_until: Date }[] = await this.dataSource.query(
      `SELECT id, paused_until FROM vcso_services WHERE paused AND paused_until IS NOT NULL`,
    );
    for (const p of pauses) {
      if (p.paused_until.getTime() <= now.getTime()) await this.capacity.reopenIfDue(p.id);
      else
        await this.queue.armQuietly(
          'reopen',
          { serviceId: p.id, untilMs: p.paused_until.getTime() },
          p.paused_until,
          now,
        );
    }
    const strained: { id: string; strained_since: Date }[] = await this.dataSource.query(
      `SELECT id, strained_since FROM vcso_services WHERE strained_since IS NOT NULL AND alerted_at IS NULL`,
    );
    const after = alertAfterMs();
    for (const s of strained) {
      const due = new Date(s.strained_since.getTime() + after);
      if (due.getTime() <= now.getTime()) await this.capacity.alertIfDue(s.id);
      else
        await this.queue.armQuietly(
          'alert',
          { serviceId: s.id, sinceMs: s.strained_since.getTime() },
          due,
          now,
        );
    }
    // A week that turned over while the service was down is rolled now.
    await this.capacity.rollWeek();
    await this.armWeekRollover();
    if (!this.announced && pauses.length + strained.length > 0) {
      this.announced = true;
      this.log.log(`re-armed ${pauses.length} pause end(s) and ${strained.length} early warning(s)`);
    }
  }

  private async armWeekRollover(): Promise<void> {
    const now = this.capacity.clock.now();
    const at = nextLondonWeekStart(now);
    await this.queue.armQuietly('week-rollover', { weekStartMs: at.getTime() }, at, now);
  }
}
