import type { DataSource, EntityManager } from 'typeorm';
import { isStalePlan } from './prepared-statements';

/**
 * Postgres asks for the transaction to be tried again: a deadlock it broke, a serialisation
 * failure, or a prepared statement whose columns a migration changed (prepared afresh on the retry).
 */
export function isRetryableTransactionError(err: unknown): boolean {
  const code = (err as { code?: unknown; driverError?: { code?: unknown } } | null)?.code;
  const driverCode = (err as { driverError?: { code?: unknown } } | null)?.driverError?.code;
  return [code, driverCode].some((c) => c === '40P01' || c === '40001') || isStalePlan(err);
}

/**
 * Runs `work` in a transaction, again (up to `attempts` times in all, after a short random pause)
 * when Postgres failed it to break a deadlock or a serialisation conflict. Such a failure rolls
 * everything back, so the retry starts clean; a request racing automatic offers for the same rows
 * then gets its real answer (a place or a 409) instead of a 500.
 */
export async function transactionWithRetry<T>(
  ds: DataSource,
  work: (m: EntityManager) => Promise<T>,
  attempts = 4,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ds.transaction(work);
    } catch (err) {
      if (attempt >= attempts || !isRetryableTransactionError(err)) throw err;
      await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 40));
    }
  }
}
