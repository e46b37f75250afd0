import { Body, Controller, Get, INestApplication, Module, Post } from '@nestjs/common';
import { mintDevToken, type Role } from '@sp/auth';
import { uniqueName } from '@sp/testing';
import { IsString, MaxLength } from 'class-validator';
import Redis from 'ioredis';
import type { AddressInfo } from 'node:net';
import { bootstrapService } from './bootstrap';
import { PlatformModule } from './platform.module';
import { redisUrl } from './service-config';

/**
 * The shared bootstrap's defences, on two instances of one app sharing the stack's Redis: per-token
 * rate limits (429 problem+json with Retry-After, shared across instances and surviving a restart),
 * the exemptions, helmet's headers (strict CSP, relaxed only on /docs), 415 for bodies a route does
 * not read, and prototype keys refused like any other unknown field.
 */
class EchoDto {
  @IsString()
  @MaxLength(20)
  name: string;
}

@Controller('echo')
class EchoController {
  @Get()
  get() {
    return { ok: true };
  }

  @Post()
  post(@Body() body: EchoDto) {
    return { name: body.name };
  }
}

@Module({ imports: [PlatformModule.forService({ service: 'gateway' })], controllers: [EchoController] })
class EchoModule {}

const LIMIT = 5;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | string;
}

describe('shared bootstrap: rate limits, security headers and body checks', () => {
  const saved = {
    RATE_LIMIT_PER_MINUTE: process.env.RATE_LIMIT_PER_MINUTE,
    SP_QUEUE_PREFIX: process.env.SP_QUEUE_PREFIX,
  };
  const apps: INestApplication[] = [];
  const urls: string[] = [];
  let prefix: string;
  let open: string;

  /** An instance reading `env` at boot; RATE_LIMIT_PER_MINUTE=5 and this spec's prefix unless overridden. */
  async function boot(env: Record<string, string> = {}): Promise<{ app: INestApplication; url: string }> {
    Object.assign(process.env, { RATE_LIMIT_PER_MINUTE: String(LIMIT), SP_QUEUE_PREFIX: prefix }, env);
    const app = await bootstrapService({ service: 'gateway', module: EchoModule, title: 'echo', port: 0 });
    apps.push(app);
    const port = (app.getHttpServer().address() as AddressInfo).port;
    return { app, url: `http://127.0.0.1:${port}` };
  }

  async function call(
    url: string,
    path: string,
    opts: { token?: string; method?: string; body?: string; type?: string } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = opts.type ?? 'application/json';
    const res = await fetch(`${url}${path}`, { method: opts.method ?? 'GET', headers, body: opts.body });
    const text = await res.text();
    let body: Answer['body'] = text;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON (docs pages)
    }
    return { status: res.status, headers: res.headers, body };
  }

  const token = (sub: string, role: Role = 'admin') =>
    mintDevToken(role === 'admin' ? { sub, role } : { sub, role, pcn: 'U00001', practice: 'P00001' });

  beforeAll(async () => {
    prefix = uniqueName('rate-it');
    for (let i = 0; i < 2; i++) urls.push((await boot()).url);
    // Headers and bodies are checked on an instance without limits, so those checks spend no budget.
    open = (await boot({ RATE_LIMIT_PER_MINUTE: '0' })).url;
  });

  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    const redis = new Redis(redisUrl());
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('answers a token over its limit with 429, shared by both instances and surviving a restart, while another token goes on', async () => {
    const a = await token('rate-a');
    const remaining: string[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const r = await call(urls[i % 2], '/api/v1/echo', { token: a });
      expect(r.status).toBe(200);
      remaining.push(r.headers.get('ratelimit-remaining')!);
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    for (const url of urls) {
      const over = await call(url, '/api/v1/echo', { token: a });
      expect(over.status).toBe(429);
      expect(over.headers.get('content-type')).toContain('application/problem+json');
      const retryAfter = Number(over.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(over.body).toMatchObject({ status: 429, title: 'Too Many Requests' });
      // Even a 429 carries the security headers.
      expect(over.headers.get('content-security-policy')).toContain("default-src 'self'");
    }

    // Another token, and the same subject in another role, have budgets of their own.
    expect((await call(urls[0], '/api/v1/echo', { token: await token('rate-b') })).status).toBe(200);
    expect((await call(urls[1], '/api/v1/echo', { token: await token('rate-a', 'referrer') })).status).toBe(
      200,
    );

    // A fresh instance (as after a deploy) finds the count in Redis.
    await apps.shift()!.close();
    urls.shift();
    const fresh = await boot();
    urls.push(fresh.url);
    expect((await call(fresh.url, '/api/v1/echo', { token: a })).status).toBe(429);
    console.log(`rate limit ${LIMIT}/min: token A refused on both instances and after a restart; B served`);
  });

  it('counts callers without a valid token by address, apart from tokens, and never limits health, metrics or docs', async () => {
    const [url] = urls;
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) statuses.push((await call(url, '/api/v1/echo')).status);
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(401), 429]);
    // A forged token is no way round it: it counts against the address too.
    expect((await call(url, '/api/v1/echo', { token: 'not.a.jwt' })).status).toBe(429);
    expect((await call(url, '/api/v1/echo', { token: await token('rate-c') })).status).toBe(200);
    for (let i = 0; i < LIMIT * 2; i++) {
      for (const p of ['/health/live', '/metrics', '/docs/json']) {
        expect({ p, status: (await call(url, p)).status }).toEqual({ p, status: 200 });
      }
    }
  });

  it('serves without limits when RATE_LIMIT_PER_MINUTE is 0', async () => {
    const t = await token('rate-off');
    for (let i = 0; i < LIMIT * 3; i++)
      expect((await call(open, '/api/v1/echo', { token: t })).status).toBe(200);
    expect((await call(open, '/api/v1/echo', { token: t })).headers.get('ratelimit-limit')).toBeNull();
  });

  it('refuses a body of a type the route does not read (415), prototype keys (400) and bad charsets (415)', async () => {
    const t = await token('bodies');
    const post = (body: string, type?: string) =>
      call(open, '/api/v1/echo', { token: t, method: 'POST', body, type });
    expect((await post('{"name":"ok"}')).status).toBe(201);
    for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'text/csv']) {
      const r = await post('{"name":"ok"}', type);
      expect({ type, status: r.status, ct: r.headers.get('content-type') }).toEqual({
        type,
        status: 415,
        ct: expect.stringContaining('application/problem+json'),
      });
    }
    // Not JSON: a 400 naming the body, quoting none of it (the parser's own message would).
    const broken = await post('{"name":"Zebedee Quillfeather", 9434765919}');
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ errors: [{ field: 'body', message: 'not valid JSON' }] });
    expect(JSON.stringify(broken.body)).not.toMatch(/Zebedee|9434765919/);
    const charset = await post('{"name":"ok"}', 'application/json; charset=iso-8859-1');
    expect(charset.status).toBe(415);
    for (const text of [
      '{"name":"ok","__proto__":{"admin":true}}',
      '{"name":"ok","constructor":{"prototype":{"admin":true}}}',
    ]) {
      const r = await post(text);
      expect(r.status).toBe(400);
      expect((r.body as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual([
        text.includes('__proto__') ? '__proto__' : 'constructor',
      ]);
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    // Without a token, the 401 comes first whatever the body.
    const anonymous = await call(open, '/api/v1/echo', { method: 'POST', body: 'x', type: 'text/plain' });
    expect(anonymous.status).toBe(401);
  });

  it('sends the security headers: a strict CSP on the API and everything else, a relaxed one on /docs only', async () => {
    const url = open;
    const api = await call(url, '/api/v1/echo', { token: await token('headers') });
    const other = await call(url, '/');
    for (const r of [api, other]) {
      const csp = r.headers.get('content-security-policy') ?? '';
      for (const d of [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
      ])
        expect(csp).toContain(d);
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('strict-transport-security')).toContain('max-age=');
      expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(r.headers.get('x-powered-by')).toBeNull();
    }
    const docs = await call(url, '/docs');
    expect(docs.status).toBe(200);
    const docsCsp = docs.headers.get('content-security-policy') ?? '';
    expect(docsCsp).toContain("style-src 'self' 'unsafe-inline'");
    expect(docsCsp).toContain("script-src 'self'");
    expect(docsCsp).not.toMatch(/script-src[^;]*unsafe-inline/);
    // Swagger UI's scripts are files of this origin, so the page works under its policy.
    const scripts = [...(docs.body as string).matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    expect((docs.body as string).replace(/<script src="[^"]*"> ?<\/script>/g, '')).not.toContain('<script');
    for (const src of scripts) {
      const res = await fetch(new URL(src, `${url}/docs`));
      expect({ src, status: res.status }).toEqual({ src, status: 200 });
    }
  });
});
