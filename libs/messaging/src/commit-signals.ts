import type { CloudEvent } from '@sp/contracts';

type Waiter = () => void;

/**
 * In-process news that this process's event consumers have committed events about a subject (a
 * referral, a service). A request that needs another service's event before it can answer (read your
 * own writes across one event hop) waits here instead of polling the database in a tight loop; it
 * still re-reads on a timer, because the event may be handled by another instance of the service.
 */
export class CommitSignals {
  private readonly waiting = new Map<string, Set<Waiter>>();

  /** Called by EventConsumer after the transaction that handled `events` has committed. */
  committed(events: readonly CloudEvent[]): void {
    if (this.waiting.size === 0) return;
    for (const e of events) {
      if (!e.subject) continue;
      const waiters = this.waiting.get(e.subject);
      if (!waiters) continue;
      this.waiting.delete(e.subject);
      for (const wake of waiters) wake();
    }
  }

  /** Resolves true when an event about `subject` commits here, or false after `ms`. */
  wait(subject: string, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      let set = this.waiting.get(subject);
      if (!set) this.waiting.set(subject, (set = new Set()));
      const waiters = set;
      const timer = setTimeout(() => {
        waiters.delete(wake);
        if (waiters.size === 0 && this.waiting.get(subject) === waiters) this.waiting.delete(subject);
        resolve(false);
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      waiters.add(wake);
    });
  }

  /**
   * Re-runs `check` until it returns a value or `timeoutMs` passes: at once after an event about
   * `subject` commits in this process, otherwise after a growing pause (250 ms doubling to 1 s). The
   * timer only matters when another instance handles the event; each re-check is a database read, and
   * under load a faster timer (it was 50 ms doubling to 400 ms) made these reads 6 of a referral's 43
   * statements in intake: load on Postgres for no answer sooner.
   */
  async until<T>(
    subject: string,
    check: () => Promise<T | null>,
    timeoutMs: number,
    opts: { justChecked?: boolean } = {},
  ): Promise<T | null> {
    const deadline = Date.now() + timeoutMs;
    // justChecked: the caller has just read what check() would, so the first read is a wait instead.
    for (let round = 0; ; round++) {
      const result = round === 0 && opts.justChecked ? null : await check();
      if (result !== null) return result;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await this.wait(subject, Math.min(left, 250 * 2 ** Math.min(round, 2)));
    }
  }
}

/** The process's one CommitSignals, fed by every EventConsumer in it. */
export const commitSignals = new CommitSignals();
