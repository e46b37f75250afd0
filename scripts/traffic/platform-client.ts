import { mintDevToken, type AuthClaims } from '@sp/auth';

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
}

/** Why a call did not get through at all (the platform is down, or a timeout). */
export class PlatformUnreachable extends Error {
  override readonly name = 'PlatformUnreachable';
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** `POST /api/v1/referrals/:id/outcomes` -> `POST /referrals/:id/outcomes`: a route, for counting. */
export function routeOf(method: string, path: string): string {
  return `${method} ${path.split('?')[0].replace(UUID, ':id')}`;
}

/**
 * The public API through the gateway, as the demo loader and the traffic simulator use it: JSON in
 * and out, a dev token per role and scope (minted once, kept), a bounded number of calls in flight,
 * polite waits on 429 (Retry-After) and on a reset connection, and counts of what came back.
 */
export class PlatformClient {
  readonly base: string;
  requests = 0;
  throttled = 0;
  readonly latenciesMs: number[] = [];
  private readonly tokens = new Map<string, Promise<string>>();
  private inFlight = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    url: string,
    private readonly opts: { maxInFlight?: number; timeoutMs?: number } = {},
  ) {
    this.base = `${url.replace(/\/+$/, '')}/api/v1`;
  }

  token(claims: AuthClaims): Promise<string> {
    const key = JSON.stringify(claims);
    let token = this.tokens.get(key);
    if (!token) {
      token = mintDevToken(claims, { expiresIn: '12h' });
      this.tokens.set(key, token);
    }
    return token;
  }

  async call<T = unknown>(
    claims: AuthClaims,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer<T>> {
    const token = await this.token(claims);
    await this.slot();
    try {
      for (let attempt = 0; ; attempt++) {
        const started = Date.now();
        let res: Response;
        try {
          res = await fetch(`${this.base}${path}`, {
            method,
            headers: {
              authorization: `Bearer ${token}`,
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
              ...headers,
            },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
          });
        } catch (err) {
          const code = (err as { cause?: { code?: string } }).cause?.code;
          if (code && UNREACHABLE.has(code)) throw new PlatformUnreachable(`${this.base}: ${code}`);
          // A reset or a timeout under load: once more after a pause, then give up.
          if (attempt < 2) {
            await sleep(500 * (attempt + 1));
            continue;
          }
          throw new PlatformUnreachable(`${routeOf(method, path)}: ${(err as Error).message}`);
        }
        this.requests++;
        const text = await res.text();
        this.latenciesMs.push(Date.now() - started);
        if (res.status === 429 && attempt < 5) {
          this.throttled++;
          const wait = Number(res.headers.get('retry-after'));
          await sleep(Number.isFinite(wait) && wait > 0 ? Math.min(wait, 30) * 1000 : 1000);
          continue;
        }
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        return { status: res.status, body: parsed as T };
      }
    } finally {
      this.release();
    }
  }

  /** Every item of a list route, page by page (at most `maxPages` pages of 100). */
  async all<T>(claims: AuthClaims, path: string, maxPages = 20): Promise<T[]> {
    const items: T[] = [];
    const sep = path.includes('?') ? '&' : '?';
    for (let page = 1; page <= maxPages; page++) {
      const res = await this.call<{ items: T[]; total: number }>(
        claims,
        'GET',
        `${path}${sep}page=${page}&pageSize=100`,
      );
      if (res.status !== 200) throw new Error(`${routeOf('GET', path)} answered ${res.status}`);
      items.push(...res.body.items);
      if (items.length >= res.body.total || res.body.items.length === 0) break;
    }
    return items;
  }

  private async slot(): Promise<void> {
    const max = this.opts.maxInFlight ?? 24;
    if (this.inFlight < max) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.inFlight--;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** A problem+json answer's words, for telling "no such route" from "no such referral". */
export function problemText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body && typeof body === 'object') {
    const b = body as { detail?: unknown; message?: unknown; title?: unknown };
    return [b.title, b.detail, b.message].filter((x) => typeof x === 'string').join(' ');
  }
  return '';
}
