/**
 * Errors worth retrying: the database or broker went away, or Postgres asked us to try again.
 * Anything else is a fault in the message or the handler and retrying it forever would block the
 * partition, so it is dead-lettered after a few attempts.
 */
const TRANSIENT_PG_CODES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '53300', // too_many_connections
  '55P03', // lock_not_available
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
const TRANSIENT_MESSAGES = [
  /Connection terminated/i,
  /connection timeout/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Connection is not established/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  // A statement prepared before a migration changed its columns: the retry prepares it afresh.
  /cached plan must not change result type/i,
];

/** Thrown by a handler for a message that will never succeed: dead-lettered at once, no retries. */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

export function isTransientError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  if (err instanceof PermanentError) return false;
  const e = err as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    retriable?: unknown;
    cause?: unknown;
  };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && (TRANSIENT_PG_CODES.has(code) || code.startsWith('08') || TRANSIENT_NODE_CODES.has(code)))
    return true;
  if (e.retriable === true) return true; // kafkajs marks its retriable errors
  const message = typeof e.message === 'string' ? e.message : '';
  if (TRANSIENT_MESSAGES.some((re) => re.test(message))) return true;
  if (e.driverError && e.driverError !== err) return isTransientError(e.driverError);
  if (e.cause && e.cause !== err) return isTransientError(e.cause);
  return false;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `work`, or an Error with `message` once `ms` have passed, whichever comes first. The work itself is
 * not cancelled; the timer never outlives the answer.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function backoffMs(attempt: number, baseMs = 100, capMs = 5000): number {
  const exp = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}
