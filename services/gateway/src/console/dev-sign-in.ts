import { Logger } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AuthClaims, AuthConfig, InvalidClaimsError, isRole, mintDevToken, ROLES } from '@sp/auth';
import type { Express, Request, Response } from 'express';
import { Route } from '../routes';
import { sendProblem } from './console-problem';

/** What the local sign-in page offers: the live network, so a chosen scope always names real data. */
export interface DevSignInOptions {
  roles: readonly string[];
  pcns: { code: string; name: string; icsCode: string; practices: { code: string; name: string }[] }[];
  organisations: { id: string; name: string; icsCode: string }[];
  icsCodes: string[];
  /** Lists that could not be read (a service still starting), so the page can say so. */
  unavailable: string[];
}

const SCOPE_CLAIMS = ['pcn', 'practice', 'org', 'ics'] as const;

interface Page<T> {
  items: T[];
  total: number;
}

/**
 * Local sign-in for development and demos (AUTH_MODE=dev only; in any other mode these routes do not
 * exist and answer 404): `GET /console/dev/options` lists PCNs and organisations read with an admin
 * token minted here, and `POST /console/dev/token` mints a token for the chosen role and scope.
 */
export function mountDevSignIn(app: NestExpressApplication, config: AuthConfig, routes: Route[]): void {
  if (config.mode !== 'dev') return;
  const log = new Logger('console');
  const server = app.getHttpAdapter().getInstance() as Express;
  const target = (prefix: string) => routes.find((r) => r.prefix === prefix)?.target;

  async function readAll<T>(prefix: string, token: string): Promise<T[]> {
    const base = target(prefix);
    if (!base) throw new Error(`no service owns ${prefix}`);
    const items: T[] = [];
    // Lists are paged (at most 100 a page); a dev network is small, but read it all.
    for (let page = 1; page <= 50; page++) {
      const res = await fetch(`${base}${prefix}?page=${page}&pageSize=100`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) throw new Error(`${prefix} answered ${res.status}`);
      const body = (await res.json()) as Page<T>;
      items.push(...body.items);
      if (body.items.length === 0 || items.length >= body.total) break;
    }
    return items;
  }

  server.get('/console/dev/options', async (_req: Request, res: Response) => {
    const admin = await mintDevToken(
      { sub: 'console-dev-sign-in', role: 'admin' },
      { config, expiresIn: '1m' },
    );
    const unavailable: string[] = [];
    const settle = async <T>(name: string, read: Promise<T[]>): Promise<T[]> => {
      try {
        return await read;
      } catch (err) {
        log.warn(`dev sign-in could not read ${name}: ${err instanceof Error ? err.message : String(err)}`);
        unavailable.push(name);
        return [];
      }
    };
    const [pcns, organisations] = await Promise.all([
      settle('pcns', readAll<DevSignInOptions['pcns'][number]>('/api/v1/pcns', admin)),
      settle(
        'organisations',
        readAll<DevSignInOptions['organisations'][number]>('/api/v1/organisations', admin),
      ),
    ]);
    const body: DevSignInOptions = {
      roles: ROLES,
      pcns: pcns.map((p) => ({
        code: p.code,
        name: p.name,
        icsCode: p.icsCode,
        practices: (p.practices ?? []).map((x) => ({ code: x.code, name: x.name })),
      })),
      organisations: organisations.map((o) => ({ id: o.id, name: o.name, icsCode: o.icsCode })),
      icsCodes: [...new Set([...pcns.map((p) => p.icsCode), ...organisations.map((o) => o.icsCode)])].sort(),
      unavailable,
    };
    res.setHeader('cache-control', 'no-store');
    res.json(body);
  });

  server.post('/console/dev/token', async (req: Request, res: Response) => {
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return sendProblem(res, 400, 'Bad Request', 'body must be a JSON object', [
        { field: 'body', message: 'must be a JSON object' },
      ]);
    }
    const input = body as Record<string, unknown>;
    if (!isRole(input.role)) {
      return sendProblem(res, 400, 'Bad Request', 'role: choose a role', [
        { field: 'role', message: `role must be one of ${ROLES.join(', ')}` },
      ]);
    }
    const claims: AuthClaims = { sub: `console-${input.role.replace(/_/g, '-')}`, role: input.role };
    for (const name of SCOPE_CLAIMS) {
      const value = input[name];
      if (typeof value === 'string' && value.trim()) claims[name] = value.trim();
    }
    try {
      const token = await mintDevToken(claims, { config, expiresIn: '8h' });
      res.setHeader('cache-control', 'no-store');
      res.status(201).json({ token });
    } catch (err) {
      if (err instanceof InvalidClaimsError) {
        const message = `${err.claim} ${err.reason}`;
        return sendProblem(res, 400, 'Bad Request', message, [{ field: err.claim, message }]);
      }
      throw err;
    }
  });
}
