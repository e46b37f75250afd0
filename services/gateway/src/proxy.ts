import { Logger } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { bearerToken, JwtVerifier } from '@sp/auth';
import { discardUnreadBody } from '@sp/platform';
import type { NextFunction, Request, Response } from 'express';
import { Agent, type ClientRequest, type IncomingMessage } from 'node:http';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { routeTable } from './routes';

function problem(res: Response, status: number, title: string, detail: string) {
  res.status(status).type('application/problem+json').json({ type: 'about:blank', title, status, detail });
}

/**
 * The gateway's body parser has already read a JSON or form body: send the service the very bytes the
 * client sent (kept by the parser as rawBody), so that both judge the same body. Other media types
 * (a CSV import) were never read here and stream through untouched.
 */
function forwardRawBody(proxyReq: ClientRequest, req: Request & { rawBody?: Buffer }): void {
  if (!req.readableEnded || !Buffer.isBuffer(req.rawBody)) return;
  proxyReq.setHeader('Content-Length', req.rawBody.length);
  proxyReq.write(req.rawBody);
}

export const GATEWAY_IDLE_SOCKET_MS = 2_000;

const proxyRequestOf = new WeakMap<IncomingMessage, ClientRequest>();

/**
 * The service has answered in full while the client is still uploading (a 413 decided from the
 * Content-Length, an import stopped at its limit). The service connection is mid-body and cannot be
 * reused, so it is dropped; the client's remaining bytes are read and discarded so that it receives
 * the answer instead of a reset connection.
 */
function finishEarlyAnswer(proxyRes: IncomingMessage, req: Request): void {
  proxyRes.once('end', () => {
    if (req.complete) return;
    const upstream = proxyRequestOf.get(req);
    discardUnreadBody(req);
    upstream?.destroy();
  });
}

/**
 * Routes `/api/v1/<resource>` to the owning service, path unchanged. The token is checked here too,
 * so an unauthenticated request never reaches a service; each service checks it again.
 */
export function mountProxies(app: NestExpressApplication): void {
  const log = new Logger('gateway');
  const verifier = app.get(JwtVerifier);
  // Kept-alive connections to the services: without an agent, http-proxy asks each service to close
  // the connection after every answer (a new TCP connection per request, and a service that answers
  // before the upload ends closes it under the gateway's feet: EPIPE, then a 502).
  // An idle connection is let go after 2 s, long before a service closes it (HTTP_KEEP_ALIVE_MS, 65 s),
  // so the gateway never sends a request down a connection the service is closing at that moment (a
  // reset, and a 502 for the caller: 20 in one benchmark run when both sides used Node's defaults).
  const agent = new Agent({ keepAlive: true, maxFreeSockets: 64, timeout: GATEWAY_IDLE_SOCKET_MS });
  for (const route of routeTable()) {
    const proxy = createProxyMiddleware<Request, Response>({
      target: route.target,
      changeOrigin: false,
      xfwd: true,
      proxyTimeout: 30_000,
      agent,
      pathFilter: (path) =>
        path === route.prefix || path.startsWith(`${route.prefix}/`) || path.startsWith(`${route.prefix}?`),
      on: {
        proxyReq: (proxyReq, req) => {
          proxyRequestOf.set(req, proxyReq);
          forwardRawBody(proxyReq, req);
        },
        proxyRes: finishEarlyAnswer,
        error: (err, _req, res) => {
          log.warn(`${route.service} unreachable: ${err.message}`);
          const r = res as Response;
          if (!r.headersSent) problem(r, 502, 'Bad Gateway', `${route.service} is not answering`);
        },
      },
    });
    app.use(route.prefix, async (req: Request, res: Response, next: NextFunction) => {
      // The same reading as the services' guard: the scheme is case-insensitive (RFC 9110 11.1).
      const token = bearerToken(req.headers.authorization);
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
