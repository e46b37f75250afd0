/**
 * Polls `probe` until it returns a truthy value, or fails with `message` and the last value seen.
 * Tests wait with this, never with fixed sleeps.
 */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  opts: { timeoutMs?: number; intervalMs?: number; message: string },
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err instanceof Error ? `${err.name}: ${err.message}` : err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${opts.timeoutMs ?? 30000} ms: ${opts.message} (last: ${JSON.stringify(last)})`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}
