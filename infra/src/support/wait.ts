export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What is awaited, for the timeout message ("Postgres on 127.0.0.1:5432 to accept connections"). */
  what: string;
}

/**
 * Polls `probe` until it returns true. A probe that throws counts as "not yet"; the last error is
 * quoted in the timeout message so that a failure says why, not only that it timed out.
 */
export async function waitUntil(probe: () => Promise<boolean>, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 200;
  let lastError: unknown;
  for (;;) {
    try {
      if (await probe()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const reason = lastError === undefined ? '' : `: ${errorMessage(lastError)}`;
      throw new Error(
        `Timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${opts.what}${reason}`,
      );
    }
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
