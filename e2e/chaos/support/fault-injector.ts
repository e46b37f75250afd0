import type { PlatformHarness } from '../../support/platform-harness';
import type { PlatformMonitor } from './platform-monitor';
import { sleep } from './retrying-client';

export interface Fault {
  name: string;
  /** Breaks something and, where the platform cannot heal it alone, brings it back. */
  inject: (h: PlatformHarness) => Promise<void>;
}

export interface FaultRecord {
  name: string;
  /** When it was injected, from the start of the run. */
  atMs: number;
  /** How long the injection itself took (stop, hold, start). */
  injectMs: number;
  /** From injection until every /health was ready again. */
  readyMs?: number;
  /** From injection until the consumers' lag was back to its level before the fault. */
  recoveryMs?: number;
  /** That level: the highest total lag sampled in the LEVEL_WINDOW_MS before the fault. */
  lagBefore: number;
  error?: string;
}

const HOLD_MS = Number(process.env.CHAOS_OUTAGE_MS ?? 3000);
/**
 * Under load the lag swings with every fetch and commit (200 to 1,000 messages within a minute on
 * the 2-core machine), so one sample taken at the moment of the fault is not its level: a fault
 * that struck just after a low sample could never get back "below" it while load continued.
 */
const LEVEL_WINDOW_MS = 30_000;

function restartKafka(signal: 'SIGKILL' | 'SIGTERM'): Fault['inject'] {
  return async (h) => {
    await h.broker.stop(signal);
    await sleep(HOLD_MS);
    await h.broker.start();
  };
}

/** SIGKILLs one service; the supervisor of `npm start` restarts it, which is what is under test. */
function kill(service: string): Fault['inject'] {
  return async (h) => {
    const pid = h.pidOf(service);
    if (!pid) throw new Error(`${service} is not running`);
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 60_000;
    for (;;) {
      const now = h.pidOf(service);
      if (now !== undefined && now !== pid) return;
      if (Date.now() > deadline) throw new Error(`the supervisor did not restart ${service} within 60 s`);
      await sleep(200);
    }
  };
}

/** Every fault the run injects, in order: interleaved so that no two of a kind come together. */
export const FAULTS: Fault[] = [
  { name: 'Kafka broker SIGKILL + restart (1/3)', inject: restartKafka('SIGKILL') },
  { name: 'SIGKILL gateway', inject: kill('gateway') },
  { name: 'SIGKILL referral-intake', inject: kill('referral-intake') },
  {
    name: 'Postgres crash (immediate) + restart',
    inject: async (h) => {
      await h.pg.stop('immediate');
      await sleep(HOLD_MS);
      await h.pg.start();
    },
  },
  { name: 'SIGKILL consent', inject: kill('consent') },
  { name: 'Kafka broker SIGTERM + restart (2/3)', inject: restartKafka('SIGTERM') },
  { name: 'SIGKILL matching', inject: kill('matching') },
  {
    name: 'Redis SIGKILL + restart',
    inject: async (h) => {
      await h.redis!.stop('SIGKILL');
      await sleep(HOLD_MS);
      await h.redis!.start();
    },
  },
  { name: 'SIGKILL vcso-capacity', inject: kill('vcso-capacity') },
  { name: 'SIGKILL commissioning-metrics', inject: kill('commissioning-metrics') },
  { name: 'Kafka broker SIGKILL + restart (3/3)', inject: restartKafka('SIGKILL') },
];

/**
 * Injects the faults one after another as the run progresses (fault k once k/F of the referrals have
 * been accepted, so the last comes as the last referral is created), each only after the platform
 * has recovered from the one before, and measures each recovery.
 */
export class FaultInjector {
  readonly records: FaultRecord[] = [];
  private loop?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly harness: PlatformHarness,
    private readonly monitor: PlatformMonitor,
    private readonly opts: { t0: number; total: number; progress: () => number; recoveryTimeoutMs: number },
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** Resolves when every fault has been injected and recovered from (or has timed out). */
  done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  stop(): void {
    this.stopped = true;
  }

  get lastFaultAt(): number | undefined {
    const last = this.records[this.records.length - 1];
    return last ? this.opts.t0 + last.atMs : undefined;
  }

  private async run(): Promise<void> {
    for (let k = 0; k < FAULTS.length && !this.stopped; k++) {
      const due = Math.ceil(((k + 1) * this.opts.total) / FAULTS.length);
      while (this.opts.progress() < due && !this.stopped) await sleep(200);
      if (this.stopped) return;
      await this.injectOne(FAULTS[k]);
    }
  }

  private async injectOne(fault: Fault): Promise<void> {
    const lagBefore = this.levelBefore(await this.currentLag());
    const at = Date.now();
    const record: FaultRecord = { name: fault.name, atMs: at - this.opts.t0, injectMs: 0, lagBefore };
    this.records.push(record);
    try {
      await fault.inject(this.harness);
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err);
    }
    record.injectMs = Date.now() - at;
    const deadline = at + this.opts.recoveryTimeoutMs;
    // Back to where it stood, or to a small backlog if it stood at none: new work keeps arriving.
    const target = Number.isFinite(lagBefore) ? Math.max(lagBefore, 50) : 50;
    while (Date.now() < deadline && !this.stopped) {
      if (record.readyMs === undefined && (await this.monitor.allReady())) record.readyMs = Date.now() - at;
      if (record.readyMs !== undefined) {
        const lag = await this.currentLag();
        if (lag <= target) {
          record.recoveryMs = Date.now() - at;
          return;
        }
      }
      await sleep(500);
    }
  }

  /** The highest total lag in the last LEVEL_WINDOW_MS of the monitor's samples and `now`. */
  private levelBefore(now: number): number {
    const since = Date.now() - LEVEL_WINDOW_MS;
    const values = this.monitor.lagSamples
      .filter((s) => s.t >= since && s.lag !== null)
      .map((s) => this.monitor.totalLag(s.lag!));
    if (Number.isFinite(now)) values.push(now);
    return values.length ? Math.max(...values) : Number.POSITIVE_INFINITY;
  }

  private async currentLag(): Promise<number> {
    try {
      return this.monitor.totalLag(await this.monitor.lag());
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  }
}
