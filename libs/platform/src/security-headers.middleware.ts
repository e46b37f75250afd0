import type { NextFunction, Request, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import { normaliseRequestPath } from '@sp/auth';

/**
 * The console's policy, and every API answer's: scripts, styles, fonts, images and fetches from this
 * origin only, nothing inline, no plugins, no framing. The console is built for it (no inline script
 * or style), so an injected `<script>` or `style=` does nothing.
 */
export const CONTENT_SECURITY_POLICY: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'font-src': ["'self'"],
  'img-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/**
 * Swagger UI (/docs) ships inline `<style>` blocks and data: icons; its scripts are still files of
 * this origin. Only /docs gets this.
 */
export const DOCS_CONTENT_SECURITY_POLICY: Record<string, string[]> = {
  ...CONTENT_SECURITY_POLICY,
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
};

function options(directives: Record<string, string[]>): HelmetOptions {
  return {
    // Explicit directives only: helmet's defaults add upgrade-insecure-requests, which would break the
    // console served over plain http on a laptop.
    contentSecurityPolicy: { useDefaults: false, directives },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  };
}

export function isDocsPath(rawUrl: string): boolean {
  const p = normaliseRequestPath(rawUrl);
  return p === '/docs' || p.startsWith('/docs/') || p.startsWith('/docs-');
}

/** helmet's headers on every answer (API, console, errors), with the relaxed policy on /docs alone. */
export function createSecurityHeadersMiddleware() {
  const strict = helmet(options(CONTENT_SECURITY_POLICY));
  const docs = helmet(options(DOCS_CONTENT_SECURITY_POLICY));
  return (req: Request, res: Response, next: NextFunction): void => {
    (isDocsPath(req.originalUrl ?? req.url) ? docs : strict)(req, res, next);
  };
}
