import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { MatchService } from './match.service';

const sweepEveryMs = () => Number(process.env.MATCHING_SWEEP_MS ?? 60_000);

/**
 * Every minute (MATCHING_SWEEP_MS), places what is owed and no event announced: an automatic
 * referral whose move to the next candidate was cut short by a crash, and waitlisted referrals when a
 * new week restores weekly intakes. Several instances may sweep at once: rows are claimed with SKIP
 * LOCKED and every reservation goes through the same guard.
 */
@Injectable()
export class WaitlistSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('matching-sweep');
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(private readonly matches: MatchService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), sweepEveryMs());
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const offered = await this.matches.sweep();
      if (offered) this.log.log(`sweep offered ${offered} place(s)`);
    } catch (err) {
      this.log.warn(`sweep failed: ${err instanceof Error ? err.message : 'error'}`);
    } finally {
      this.running = false;
    }
  }
}
