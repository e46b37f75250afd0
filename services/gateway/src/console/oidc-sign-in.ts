import { Logger } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { Express, Request, Response } from 'express';
import { BaseClient, generators, Issuer } from 'openid-client';

/** OIDC settings of the console's production sign-in (authorization code with PKCE). */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** Absent for a public client (PKCE alone). */
  clientSecret?: string;
  redirectUri: string;
  scope: string;
}

/** Where the browser picks up the token after the callback; read once by the console, then deleted. */
export const TOKEN_HANDOFF_COOKIE = 'sp_console_token';
const FLOW_COOKIE = 'sp_oidc_flow';
const FLOW_MAX_AGE_S = 600;
const HANDOFF_MAX_AGE_S = 60;

/**
 * Reads OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI and OIDC_SCOPE. OIDC sign-in is
 * on when the issuer and client id are set; the redirect URI defaults to the gateway's own callback on
 * localhost, which is what a local identity provider would have registered.
 */
export function oidcSettings(env: NodeJS.ProcessEnv, gatewayPort: number): OidcSettings | undefined {
  const issuer = env.OIDC_ISSUER?.trim();
  const clientId = env.OIDC_CLIENT_ID?.trim();
  if (!issuer && !clientId) return undefined;
  if (!issuer || !clientId) throw new Error('OIDC sign-in needs both OIDC_ISSUER and OIDC_CLIENT_ID');
  const redirectUri =
    env.OIDC_REDIRECT_URI?.trim() || `http://localhost:${gatewayPort}/console/auth/callback`;
  for (const [name, value] of [
    ['OIDC_ISSUER', issuer],
    ['OIDC_REDIRECT_URI', redirectUri],
  ]) {
    try {
      new URL(value);
    } catch {
      throw new Error(`${name} is not a URL: '${value}'`);
    }
  }
  return {
    issuer,
    clientId,
    clientSecret: env.OIDC_CLIENT_SECRET?.trim() || undefined,
    redirectUri,
    scope: env.OIDC_SCOPE?.trim() || 'openid',
  };
}

function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

function isHttps(req: Request): boolean {
  return req.secure || req.headers['x-forwarded-proto'] === 'https';
}

interface Flow {
  state: string;
  nonce: string;
  verifier: string;
}

/**
 * `GET /console/auth/login` sends the browser to the identity provider (authorization code, PKCE S256,
 * state and nonce kept in a short-lived HttpOnly cookie); `GET /console/auth/callback` checks them,
 * exchanges the code for tokens and hands the access token to the console through a cookie that
 * lives a minute and that the console deletes once it has moved it to sessionStorage. From then on
 * the gateway verifies that token against the provider's JWKS like any other (AUTH_MODE=jwks).
 */
export function mountOidcSignIn(app: NestExpressApplication, settings: OidcSettings): void {
  const log = new Logger('console');
  const server = app.getHttpAdapter().getInstance() as Express;
  // Discovered on first use, so the gateway starts even while the provider is away; retried on failure.
  let client: Promise<BaseClient> | undefined;
  const getClient = (): Promise<BaseClient> => {
    client ??= Issuer.discover(settings.issuer).then((issuer) => {
      const algs = issuer.metadata.id_token_signing_alg_values_supported as string[] | undefined;
      return new issuer.Client({
        client_id: settings.clientId,
        client_secret: settings.clientSecret,
        redirect_uris: [settings.redirectUri],
        response_types: ['code'],
        token_endpoint_auth_method: settings.clientSecret ? 'client_secret_basic' : 'none',
        id_token_signed_response_alg: algs && !algs.includes('RS256') ? algs[0] : 'RS256',
      });
    });
    client.catch(() => (client = undefined));
    return client;
  };
  const failed = (res: Response, reason: string) => res.redirect(303, `/#/sign-in?error=${reason}`);

  server.get('/console/auth/login', async (req: Request, res: Response) => {
    let c: BaseClient;
    try {
      c = await getClient();
    } catch (err) {
      log.warn(`OIDC discovery failed: ${err instanceof Error ? err.message : String(err)}`);
      return failed(res, 'provider-unavailable');
    }
    const flow: Flow = {
      state: generators.state(),
      nonce: generators.nonce(),
      verifier: generators.codeVerifier(),
    };
    res.cookie(FLOW_COOKIE, Buffer.from(JSON.stringify(flow)).toString('base64url'), {
      httpOnly: true,
      sameSite: 'lax', // sent back on the provider's top-level redirect to the callback
      secure: isHttps(req),
      path: '/console/auth',
      maxAge: FLOW_MAX_AGE_S * 1000,
    });
    res.setHeader('cache-control', 'no-store');
    res.redirect(
      303,
      c.authorizationUrl({
        scope: settings.scope,
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: generators.codeChallenge(flow.verifier),
        code_challenge_method: 'S256',
      }),
    );
  });

  server.get('/console/auth/callback', async (req: Request, res: Response) => {
    res.clearCookie(FLOW_COOKIE, { path: '/console/auth' });
    res.setHeader('cache-control', 'no-store');
    let flow: Flow;
    try {
      flow = JSON.parse(Buffer.from(cookies(req)[FLOW_COOKIE] ?? '', 'base64url').toString()) as Flow;
      if (!flow.state || !flow.verifier || !flow.nonce) throw new Error('incomplete');
    } catch {
      return failed(res, 'sign-in-expired');
    }
    try {
      const c = await getClient();
      const params = c.callbackParams(req);
      const tokens = await c.callback(settings.redirectUri, params, {
        state: flow.state,
        nonce: flow.nonce,
        code_verifier: flow.verifier,
      });
      if (!tokens.access_token) throw new Error('the provider returned no access token');
      res.cookie(TOKEN_HANDOFF_COOKIE, tokens.access_token, {
        httpOnly: false, // the console reads it once, moves it to sessionStorage and deletes it
        sameSite: 'lax',
        secure: isHttps(req),
        path: '/',
        maxAge: HANDOFF_MAX_AGE_S * 1000,
      });
      return res.redirect(303, '/#/signed-in');
    } catch (err) {
      // The message names the failed check (state mismatch, PKCE, signature); never the token itself.
      log.warn(`OIDC callback refused: ${err instanceof Error ? err.message : String(err)}`);
      return failed(res, 'sign-in-failed');
    }
  });
}
