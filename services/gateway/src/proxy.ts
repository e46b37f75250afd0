import { Logger } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { JwtVerifier } from '@sp/auth';
import type { NextFunction, Request, Response } from 'express';
import { createProxyMiddleware, fixRequestBody } from 'http-proxy-middleware';
import { routeTable } from './routes';

function problem(res: Response, status: number, title: string, detail: string) {
  res.status(status).type('application/problem+json').json({ type: 'about:blank', title, status, detail });
}

/**
 * Routes `/api/v1/<resource>` to the owning service, path unchanged. The token is checked here too,
 * so an unauthenticated request never reaches a service; each service checks it again.
 */
export function mountProxies(app: NestExpressApplication): void {
  const log = new Logger('gateway');
  const verifier = app.get(JwtVerifier);
  for (const route of routeTable()) {
    const proxy = createProxyMiddleware<Request, Response>({
      target: route.target,
      changeOrigin: false,
      xfwd: true,
      proxyTimeout: 30_000,
      pathFilter: (path) =>
        path === route.prefix || path.startsWith(`${route.prefix}/`) || path.startsWith(`${route.prefix}?`),
      on: {
        // The gateway's JSON body parser has already read the stream; write the parsed body back.
        proxyReq: fixRequestBody,
        error: (err, _req, res) => {
          log.warn(`${route.service} unreachable: ${err.message}`);
          const r = res as Response;
          if (!r.headersSent) problem(r, 502, 'Bad Gateway', `${route.service} is not answering`);
        },
      },
    });
    app.use(route.prefix, async (req: Request, res: Response, next: NextFunction) => {
      const header = req.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
      if (!token) return problem(res, 401, 'Unauthorized', 'a bearer token is required');
      try {
        await verifier.verify(token);
      } catch (err) {
        return problem(res, 401, 'Unauthorized', err instanceof Error ? err.message : 'invalid token');
      }
      // app.use strips the mount path; the service expects the full path.
      req.url = req.originalUrl;
      return proxy(req, res, next);
    });
  }
}
