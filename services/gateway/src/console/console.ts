import { Logger } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { JwtVerifier } from '@sp/auth';
import { servicePort } from '@sp/platform';
import type { Express, Request, Response } from 'express';
import { routeTable } from '../routes';
import { mountConsoleAssets } from './console-assets';
import { mountDevSignIn } from './dev-sign-in';
import { mountOidcSignIn, oidcSettings } from './oidc-sign-in';

/** What the sign-in page may offer, so it never shows a way in that the gateway does not serve. */
export interface ConsoleConfig {
  devSignIn: boolean;
  oidc: boolean;
}

/**
 * The web console: its static files at `/`, `GET /console/config`, the dev sign-in routes (AUTH_MODE=dev
 * only) and the OIDC routes (when OIDC_ISSUER and OIDC_CLIENT_ID are set). None of these is under /api,
 * and none needs a token: they are how a token is obtained.
 */
export function mountConsole(app: NestExpressApplication, env: NodeJS.ProcessEnv = process.env): void {
  const auth = app.get(JwtVerifier).config;
  const oidc = oidcSettings(env, servicePort('gateway', env));
  const config: ConsoleConfig = { devSignIn: auth.mode === 'dev', oidc: oidc !== undefined };
  const server = app.getHttpAdapter().getInstance() as Express;
  server.get('/console/config', (_req: Request, res: Response) => {
    res.setHeader('cache-control', 'no-store');
    res.json(config);
  });
  mountDevSignIn(app, auth, routeTable(env));
  if (oidc) mountOidcSignIn(app, oidc);
  mountConsoleAssets(app);
  new Logger('console').log(
    `console at / (sign-in: ${[config.devSignIn && 'dev', config.oidc && 'oidc'].filter(Boolean).join(', ') || 'none'})`,
  );
}
