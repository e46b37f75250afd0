import { Logger } from '@nestjs/common';
import { AuthClaims, bearerToken, isApiPath, JwtVerifier, normaliseRequestPath } from '@sp/auth';
import type { NextFunction, Request, Response } from 'express';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/** A busy link worker makes a few requests a minute; a runaway script makes thousands. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 1200;

/** `RATE_LIMIT_PER_MINUTE`: requests a minute per token (or per address without one); 0 turns limits off. */
export function rateLimitPerMinute(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.RATE_LIMIT_PER_MINUTE?.trim();
  if (raw === undefined || raw === '') return DEFAULT_RATE_LIMIT_PER_MINUTE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(
      `RATE_LIMIT_PER_MINUTE must be a whole number of requests a minute (0 turns limits off), got '${raw}'`,
    );
  }
  return n;
}

/**
 * Never limited: probes, scrapers and documentation (/health, /metrics, /docs), and any other read
 * outside /api, such as the console's own files, which every browser behind one NAT address fetches.
 */
export function isRateLimitExempt(method: string, rawUrl: string): boolean {
  if (isApiPath(rawUrl)) return false;
  const p = normaliseRequestPath(rawUrl);
  if (p === '/health' || p.startsWith('/health/') || p === '/metrics' || p.startsWith('/metrics/'))
    return true;
  if (p === '/docs' || p.startsWith('/docs/') || p.startsWith('/docs-')) return true;
  return method === 'GET' || method === 'HEAD';
}

/** Verified tokens and the bucket each counts against, so a token is checked once, not per request. */
class TokenKeys {
  private readonly keys = new Map<string, { key: string; until: number }>();

  constructor(
    private readonly verifier: JwtVerifier,
    private readonly max = 10_000,
  ) {}

  async keyOf(token: string): Promise<string | undefined> {
    const now = Date.now();
    const hit = this.keys.get(token);
    if (hit && hit.until > now) return hit.key;
    let claims: AuthClaims;
    try {
      claims = await this.verifier.verify(token);
    } catch {
      // Not a token of ours: it counts against the caller's address (and gets its 401 further on).
      return undefined;
    }
    const key = `t:${claims.role}:${claims.sub}`;
    if (this.keys.size >= this.max) this.keys.delete(this.keys.keys().next().value!);
    this.keys.set(token, { key, until: now + 5 * 60_000 });
    return key;
  }
}

export interface RateLimitOptions {
  redis: Redis;
  verifier: JwtVerifier;
  perMinute: number;
  /** Redis key prefix: instances of one service share it; services and platform copies do not. */
  keyPrefix: string;
}

function clientAddress(req: Request): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * Per-caller limits kept in Redis, so every instance of a service counts against the same budget: a
 * verified token's `sub` and role, or the client address when there is no valid token. Over the limit:
 * 429 problem+json with `Retry-After`. If Redis is away, each instance keeps counting in memory rather
 * than turning every request away or letting everything through.
 */
export function createRateLimitMiddleware(opts: RateLimitOptions) {
  const log = new Logger('rate-limit');
  const limiter = new RateLimiterRedis({
    storeClient: opts.redis,
    keyPrefix: opts.keyPrefix,
    points: opts.perMinute,
    duration: 60,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({
      keyPrefix: opts.keyPrefix,
      points: opts.perMinute,
      duration: 60,
    }),
  });
  const tokens = new TokenKeys(opts.verifier);
  const limit = String(opts.perMinute);
  let warned = false;

  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (isRateLimitExempt(req.method, req.originalUrl ?? req.url)) return next();
    const token = bearerToken(req.headers.authorization);
    const key = (token && (await tokens.keyOf(token))) ?? `ip:${clientAddress(req)}`;
    let outcome: RateLimiterRes;
    try {
      outcome = await limiter.consume(key);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) {
        // Neither Redis nor the in-memory stand-in answered: serve rather than fail every request.
        if (!warned) log.warn(`rate limits not applied: ${err instanceof Error ? err.message : String(err)}`);
        warned = true;
        return next();
      }
      const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      res
        .status(429)
        .set({
          'Retry-After': String(retryAfter),
          'RateLimit-Limit': limit,
          'RateLimit-Remaining': '0',
          'RateLimit-Reset': String(retryAfter),
        })
        .type('application/problem+json')
        .json({
          type: 'about:blank',
          title: 'Too Many Requests',
          status: 429,
          detail: `more than ${limit} requests a minute; retry after ${retryAfter} s`,
          instance: req.path,
        });
      return;
    }
    warned = false;
    res.set({
      'RateLimit-Limit': limit,
      'RateLimit-Remaining': String(outcome.remainingPoints),
      'RateLimit-Reset': String(Math.max(1, Math.ceil(outcome.msBeforeNext / 1000))),
    });
    next();
  };
}
