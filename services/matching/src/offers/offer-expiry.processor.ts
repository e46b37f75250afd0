import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { redisUrl } from '@sp/platform';
import { Job, Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { OfferService } from './offer.service';

interface ExpiryJob {
  offerId: string;
}

const REARM_EVERY_MS = 5 * 60_000;

/**
 * Each pending offer has a BullMQ delayed job, due when the offer lapses. Postgres holds the truth
 * (`offers.expires_at`): at boot, and every few minutes, every pending offer's job is armed again
 * (job id = offer id, so arming twice is harmless). A Redis that lost its data therefore loses no
 * expiry, and one that falls due while nothing runs is expired as soon as the service is back.
 */
@Injectable()
export class OfferExpiryProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('offer-expiry');
  private queue?: Queue<ExpiryJob>;
  private worker?: Worker<ExpiryJob>;
  private connections: Redis[] = [];
  private rearmTimer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly offers: OfferService,
  ) {}

  private get name(): string {
    return `${process.env.SP_QUEUE_PREFIX ?? 'sp'}-matching-offer-expiry`;
  }

  private connection(): Redis {
    const c = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    c.on('error', () => undefined); // /health reports Redis; BullMQ reconnects by itself
    this.connections.push(c);
    return c;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.queue = new Queue<ExpiryJob>(this.name, { connection: this.connection() });
    this.worker = new Worker<ExpiryJob>(
      this.name,
      (job: Job<ExpiryJob>) => this.offers.expireOne(job.data.offerId),
      {
        connection: this.connection(),
        concurrency: 4,
      },
    );
    this.worker.on('failed', (job, err) =>
      this.log.warn(`expiry of offer ${job?.data.offerId} failed: ${err.message}`),
    );
    this.offers.onOfferMade((offerId, expiresAt) => this.arm([{ id: offerId, expires_at: expiresAt }]));
    await this.rearm();
    this.rearmTimer = setInterval(
      () => void this.rearm().catch((err: Error) => this.log.warn(err.message)),
      REARM_EVERY_MS,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.rearmTimer);
    await this.worker?.close();
    await this.queue?.close();
    for (const c of this.connections) c.disconnect();
  }

  /** Arms a job for every pending offer in Postgres. */
  async rearm(): Promise<number> {
    const pending: { id: string; expires_at: Date }[] = await this.ds.query(
      `SELECT id, expires_at FROM offers WHERE status = 'pending'`,
    );
    await this.arm(pending);
    return pending.length;
  }

  private async arm(offers: { id: string; expires_at: Date }[]): Promise<void> {
    if (!this.queue || offers.length === 0) return;
    const now = Date.now();
    await this.queue.addBulk(
      offers.map((o) => ({
        name: 'expire',
        data: { offerId: o.id },
        opts: {
          jobId: o.id,
          delay: Math.max(0, new Date(o.expires_at).getTime() - now),
          attempts: 10,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: true,
          removeOnFail: 1000,
        },
      })),
    );
  }
}
