import { createKafka } from '@sp/messaging';
import { SERVICES } from '@sp/platform';
import { Client } from 'pg';
import type { PlatformHarness } from '../../support/platform-harness';
import { sleep } from './retrying-client';

/** The consumer groups of the platform (each service's own name; the gateway has none). */
export const GROUPS = SERVICES.filter((s) => s.database).map((s) => s.name);

type Admin = ReturnType<ReturnType<typeof createKafka>['admin']>;

/**
 * Watches the platform from outside while it is being broken: each consumer group's lag, each
 * service's readiness, the consumers' duplicate and dead-letter counters (summed across the restarts
 * that reset them), and matching's capacity rows (which must never exceed their limits, even for an
 * instant). Sampling failures during a fault are expected and only mean "unknown" for that moment.
 */
export class PlatformMonitor {
  /** Total lag of every group, per sample; null when Kafka could not be asked. */
  readonly lagSamples: { t: number; lag: Record<string, number> | null }[] = [];
  /** Any moment a service_load row was seen above its limits. */
  readonly overLimit: string[] = [];
  capacitySamples = 0;
  private readonly counters = new Map<string, { base: number; last: number }>();
  private admin?: Admin;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly harness: PlatformHarness) {}

  start(): void {
    this.running = true;
    this.loops = [
      this.every(1000, async () => {
        let lag: Record<string, number> | null = null;
        try {
          lag = await this.lag();
        } catch {
          await this.resetAdmin();
        }
        this.lagSamples.push({ t: Date.now(), lag });
      }),
      this.every(2000, () => this.scrapeCounters()),
      this.every(1000, () => this.sampleCapacity()),
    ];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    await this.resetAdmin();
  }

  /** Lag per group: the messages on its topics that it has not yet committed as handled. */
  async lag(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const p of await this.lagByPartition()) out[p.group] = (out[p.group] ?? 0) + p.lag;
    for (const g of GROUPS) out[g] ??= 0;
    return out;
  }

  /** The partitions each group lags on, with its committed offset and the partition's end. */
  async lagByPartition(): Promise<
    { group: string; topic: string; partition: number; committed: number; high: number; lag: number }[]
  > {
    const admin = await this.getAdmin();
    const committed = new Map<
      string,
      { topic: string; partitions: { partition: number; offset: string }[] }[]
    >();
    for (const groupId of GROUPS) {
      // Asked once without topics for the ones it has committed on, then with them, so that a
      // partition never committed at all still counts in full.
      const topics = (await admin.fetchOffsets({ groupId })).map((t) => t.topic);
      committed.set(groupId, topics.length ? await admin.fetchOffsets({ groupId, topics }) : []);
    }
    // The ends are read after the commits, so that a commit is never ahead of the end it is held to.
    const highs = new Map<string, { partition: number; high: string; low: string }[]>();
    for (const topic of new Set([...committed.values()].flat().map((t) => t.topic)))
      highs.set(topic, await admin.fetchTopicOffsets(topic));
    const out: {
      group: string;
      topic: string;
      partition: number;
      committed: number;
      high: number;
      lag: number;
    }[] = [];
    for (const [group, topics] of committed) {
      for (const t of topics) {
        for (const p of highs.get(t.topic)!) {
          const offset = Number(t.partitions.find((x) => x.partition === p.partition)?.offset ?? -1);
          const lag = Math.max(0, Number(p.high) - (offset >= 0 ? offset : Number(p.low)));
          if (lag > 0)
            out.push({
              group,
              topic: t.topic,
              partition: p.partition,
              committed: offset,
              high: Number(p.high),
              lag,
            });
        }
      }
    }
    return out;
  }

  /** Messages on each topic of the platform (DLQs included). */
  async messagesOnTopics(): Promise<Record<string, number>> {
    const admin = await this.getAdmin();
    const out: Record<string, number> = {};
    for (const topic of (await admin.listTopics()).filter((t) => !t.startsWith('__'))) {
      out[topic] = (await admin.fetchTopicOffsets(topic)).reduce(
        (n, p) => n + Number(p.high) - Number(p.low),
        0,
      );
    }
    return out;
  }

  totalLag(lag: Record<string, number>): number {
    return Object.values(lag).reduce((a, b) => a + b, 0);
  }

  /** HTTP status of every service's /health (0 when it does not answer). */
  async health(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    await Promise.all(
      SERVICES.map(async (s) => {
        try {
          const res = await fetch(this.harness.url(s.name, '/health'), { signal: AbortSignal.timeout(3000) });
          out[s.name] = res.status;
        } catch {
          out[s.name] = 0;
        }
      }),
    );
    return out;
  }

  async allReady(): Promise<boolean> {
    return Object.values(await this.health()).every((code) => code === 200);
  }

  /** Sum of a consumer counter (by `result`) across all services and all their restarts. */
  counter(result: string): number {
    let total = 0;
    for (const [key, c] of this.counters) if (key.endsWith(`|${result}`)) total += c.base + c.last;
    return total;
  }

  counterByService(result: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, c] of this.counters) {
      const [service, r] = key.split('|');
      if (r === result) out[service] = (out[service] ?? 0) + c.base + c.last;
    }
    return out;
  }

  /** A final scrape, so that the totals include the last seconds. */
  scrapeNow(): Promise<void> {
    return this.scrapeCounters();
  }

  private async scrapeCounters(): Promise<void> {
    await Promise.all(
      SERVICES.filter((s) => s.database).map(async (s) => {
        let text: string;
        try {
          const res = await fetch(this.harness.url(s.name, '/metrics'), {
            signal: AbortSignal.timeout(3000),
          });
          if (!res.ok) return;
          text = await res.text();
        } catch {
          return;
        }
        const sums = new Map<string, number>();
        for (const m of text.matchAll(/^sp_consumer_messages_total\{([^}]*)\} (\d+)/gm)) {
          const result = /result="([^"]+)"/.exec(m[1])?.[1] ?? '?';
          sums.set(result, (sums.get(result) ?? 0) + Number(m[2]));
        }
        const publishErrors = /^sp_outbox_publish_errors_total (\d+)/m.exec(text)?.[1];
        if (publishErrors) sums.set('publish-error', Number(publishErrors));
        for (const [result, value] of sums) {
          const key = `${s.name}|${result}`;
          const c = this.counters.get(key) ?? { base: 0, last: 0 };
          // A counter that went down belongs to a new process: the old one's total is kept.
          if (value < c.last) c.base += c.last;
          c.last = value;
          this.counters.set(key, c);
        }
      }),
    );
  }

  private async sampleCapacity(): Promise<void> {
    const client = new Client({
      connectionString: this.harness.pg.url('sp_matching'),
      connectionTimeoutMillis: 2000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{
        service_id: string;
        held: number;
        max_active: number;
        offers: number;
        weekly: number;
      }>(
        `SELECT service_id, active + reserved AS held, max_active, offers_this_week AS offers, weekly_intake AS weekly
           FROM service_load WHERE active + reserved > max_active OR offers_this_week > weekly_intake`,
      );
      this.capacitySamples++;
      for (const r of rows)
        this.overLimit.push(
          `${new Date().toISOString()} service ${r.service_id}: ${r.held}/${r.max_active} held, ${r.offers}/${r.weekly} offers this week`,
        );
    } catch {
      // Postgres is being restarted.
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async getAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = createKafka('chaos-monitor', this.harness.broker.brokers).admin({
        retry: { retries: 1, initialRetryTime: 200 },
      });
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  private async resetAdmin(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  private async every(ms: number, work: () => Promise<void>): Promise<void> {
    while (this.running) {
      const t0 = Date.now();
      await work();
      await sleep(Math.max(50, ms - (Date.now() - t0)));
    }
  }
}
