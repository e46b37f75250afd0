/**
 * An HTTP client that behaves like a careful real one while the platform is being broken: a request
 * that dies on the wire (connection refused or reset, timeout) or gets a 5xx or 429 is sent again
 * with backoff until a deadline. Every retry is counted, so the run can say how many requests the
 * faults cost. Retrying a POST is only safe because each route makes it so: POST /referrals through
 * its Idempotency-Key, the others through their state checks (the caller reads a 409 after a retry
 * as "the first attempt got through").
 */
export interface ApiReply<T = unknown> {
  status: number;
  body: T;
  /** Attempts beyond the first that this call needed. */
  retries: number;
}

export interface RetryStats {
  calls: number;
  /** Calls that needed at least one retry. */
  retriedCalls: number;
  /** Retries in all, by why the attempt before failed (`network`, `502`, `503`, ...). */
  retries: Map<string, number>;
  /** Calls that never succeeded before their deadline. */
  gaveUp: number;
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

export class RetryingClient {
  readonly stats: RetryStats = { calls: 0, retriedCalls: 0, retries: new Map(), gaveUp: 0 };

  constructor(
    private readonly baseUrl: string,
    private readonly opts: { deadlineMs?: number; attemptTimeoutMs?: number } = {},
  ) {}

  get totalRetries(): number {
    return [...this.stats.retries.values()].reduce((a, b) => a + b, 0);
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiReply<T>> {
    this.stats.calls++;
    const deadline = Date.now() + (this.opts.deadlineMs ?? 240_000);
    let retries = 0;
    for (let attempt = 0; ; attempt++) {
      let failure: string;
      try {
        const res = await fetch(`${this.baseUrl}/api/v1${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...headers,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.opts.attemptTimeoutMs ?? 30_000),
        });
        const text = await res.text();
        if (!RETRY_STATUSES.has(res.status)) {
          if (retries > 0) this.stats.retriedCalls++;
          return { status: res.status, body: parse(text) as T, retries };
        }
        failure = String(res.status);
      } catch {
        // Refused, reset or timed out: the request may or may not have been applied.
        failure = 'network';
      }
      if (Date.now() > deadline) {
        this.stats.gaveUp++;
        throw new Error(`${method} ${path}: still failing (${failure}) after ${retries} retries`);
      }
      retries++;
      this.stats.retries.set(failure, (this.stats.retries.get(failure) ?? 0) + 1);
      // Full jitter, so that a crowd of clients does not hammer a service the moment it returns.
      const cap = Math.min(3000, 200 * 2 ** Math.min(attempt, 4));
      await sleep(cap / 2 + Math.random() * (cap / 2));
    }
  }
}

function parse(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
