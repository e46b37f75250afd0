import { INestApplication } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { exportJWK, generateKeyPair, KeyLike, SignJWT } from 'jose';
import { Browser, chromium } from 'playwright-core';
import { startGateway } from '../src/gateway';

/**
 * Production sign-in: the gateway as an OIDC client (authorization code with PKCE, openid-client)
 * against a small identity provider started here (discovery, JWKS, authorize and token endpoints),
 * with AUTH_MODE=jwks so that the access token it hands to the console is verified against the
 * provider's key set like any other. The dev sign-in routes must not exist in this mode.
 */
const CLIENT_ID = 'sp-console';
const CLIENT_SECRET = 'console-secret-for-tests';
const AUDIENCE = 'sp-platform-oidc-test';
const ROOT = path.resolve(__dirname, '..', '..', '..');

interface Grant {
  redirectUri: string;
  challenge: string;
  method: string;
  nonce: string;
}

/** A minimal OpenID provider: signs in whoever asks, as an ICS analyst of QOI. */
class TestIssuer {
  readonly grants = new Map<string, Grant>();
  readonly seen: { authorize: URLSearchParams[]; token: URLSearchParams[]; pkceVerified: number } = {
    authorize: [],
    token: [],
    pkceVerified: 0,
  };
  private server?: http.Server;
  private key!: KeyLike;
  private jwk!: Record<string, unknown>;
  url = '';

  async start(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    this.key = privateKey;
    this.jwk = { ...(await exportJWK(publicKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private sign(claims: Record<string, unknown>, audience: string): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key-1', typ: 'JWT' })
      .setIssuer(this.url)
      .setSubject('oidc-analyst-1')
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(this.key);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname === '/.well-known/openid-configuration') {
      return this.json(res, 200, {
        issuer: this.url,
        authorization_endpoint: `${this.url}/authorize`,
        token_endpoint: `${this.url}/token`,
        jwks_uri: `${this.url}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
      });
    }
    if (url.pathname === '/jwks') return this.json(res, 200, { keys: [this.jwk] });
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      this.seen.authorize.push(q);
      if (q.get('client_id') !== CLIENT_ID || q.get('response_type') !== 'code' || !q.get('code_challenge')) {
        return this.json(res, 400, { error: 'invalid_request' });
      }
      const code = randomBytes(16).toString('base64url');
      this.grants.set(code, {
        redirectUri: q.get('redirect_uri')!,
        challenge: q.get('code_challenge')!,
        method: q.get('code_challenge_method') ?? 'plain',
        nonce: q.get('nonce') ?? '',
      });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let raw = '';
      for await (const chunk of req) raw += String(chunk);
      const form = new URLSearchParams(raw);
      this.seen.token.push(form);
      const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64');
      if (req.headers.authorization !== `Basic ${basic}`)
        return this.json(res, 401, { error: 'invalid_client' });
      const grant = this.grants.get(form.get('code') ?? '');
      this.grants.delete(form.get('code') ?? '');
      if (!grant || grant.redirectUri !== form.get('redirect_uri')) {
        return this.json(res, 400, { error: 'invalid_grant' });
      }
      const verifier = form.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (grant.method !== 'S256' || challenge !== grant.challenge) {
        return this.json(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
      }
      this.seen.pkceVerified += 1;
      return this.json(res, 200, {
        token_type: 'Bearer',
        expires_in: 600,
        access_token: await this.sign({ role: 'ics_analyst', ics: 'QOI' }, AUDIENCE),
        id_token: await this.sign({ nonce: grant.nonce }, CLIENT_ID),
      });
    }
    this.json(res, 404, { error: 'not_found' });
  }
}

async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('console sign-in with OIDC (authorization code + PKCE)', () => {
  const issuer = new TestIssuer();
  const saved = { ...process.env };
  let app: INestApplication;
  let base = '';
  let browser: Browser;

  beforeAll(async () => {
    await issuer.start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    Object.assign(process.env, {
      AUTH_MODE: 'jwks',
      AUTH_JWKS_URL: `${issuer.url}/jwks`,
      AUTH_ISSUER: issuer.url,
      AUTH_AUDIENCE: AUDIENCE,
      OIDC_ISSUER: issuer.url,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_REDIRECT_URI: `${base}/console/auth/callback`,
      RATE_LIMIT_PER_MINUTE: '0',
    });
    app = await startGateway({ port });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await issuer.stop();
    process.env = saved;
  });

  it('offers OIDC sign-in and no dev sign-in outside AUTH_MODE=dev', async () => {
    const config = await fetch(`${base}/console/config`);
    expect(await config.json()).toEqual({ devSignIn: false, oidc: true });
    expect((await fetch(`${base}/console/dev/options`)).status).toBe(404);
    const mint = await fetch(`${base}/console/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'admin' }),
    });
    expect(mint.status).toBe(404);
  });

  it('signs a user in through the provider and the gateway accepts the token it handed over', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/#/sign-in`);
    await page.locator('#oidc-sign-in').click();
    await page.locator('#signed-in-as[data-role="ics_analyst"]').waitFor({ timeout: 30_000 });
    expect(page.url()).toMatch(/#\/ics$/);
    await expect(page.locator('#signed-in-as').textContent()).resolves.toContain('QOI');

    // PKCE with S256, a state and a nonce were sent, and the verifier matched at the token endpoint.
    const authorize = issuer.seen.authorize.at(-1)!;
    expect(authorize.get('code_challenge_method')).toBe('S256');
    expect(authorize.get('state')).toBeTruthy();
    expect(authorize.get('nonce')).toBeTruthy();
    expect(issuer.seen.token.at(-1)!.get('code_verifier')).toBeTruthy();
    expect(issuer.seen.pkceVerified).toBe(1);

    // The token moved to sessionStorage and the hand-over cookie is gone.
    const token = await page.evaluate<string | null>("sessionStorage.getItem('sp.console.token')");
    expect(token).toBeTruthy();
    expect(await page.evaluate<string>('document.cookie')).not.toContain('sp_console_token');
    const me = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: 'oidc-analyst-1', role: 'ics_analyst', ics: 'QOI' });
    const shots = path.join(ROOT, 'e2e', 'artifacts', 'screenshots');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, '20-oidc-signed-in.png'), fullPage: true });
    await page.close();
  });

  it('refuses a callback whose state does not match, or that no sign-in started', async () => {
    const login = await fetch(`${base}/console/auth/login`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    const started = new URL(login.headers.get('location')!);
    expect(started.origin).toBe(issuer.url);
    const flowCookie = login.headers.get('set-cookie')!.split(';')[0];
    expect(login.headers.get('set-cookie')).toMatch(/HttpOnly/i);

    const forged = await fetch(`${base}/console/auth/callback?code=anything&state=forged`, {
      redirect: 'manual',
      headers: { cookie: flowCookie },
    });
    expect(forged.status).toBe(303);
    expect(forged.headers.get('location')).toBe('/#/sign-in?error=sign-in-failed');
    expect(forged.headers.get('set-cookie') ?? '').not.toContain('sp_console_token=ey');

    const unstarted = await fetch(`${base}/console/auth/callback?code=anything&state=x`, {
      redirect: 'manual',
    });
    expect(unstarted.headers.get('location')).toBe('/#/sign-in?error=sign-in-expired');
    expect(issuer.seen.pkceVerified).toBe(1);
  });
});
