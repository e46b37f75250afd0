import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY, ROLES_KEY } from './auth.constants';
import { AuthClaims } from './claims';
import { RequestWithUser } from './current-user.decorator';
import { JwtVerifier } from './jwt-verifier';
import { Role } from './roles';

interface HttpRequestLike extends RequestWithUser {
  originalUrl?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
}

interface HttpResponseLike {
  setHeader?(name: string, value: string): unknown;
  header?(name: string, value: string): unknown;
}

/**
 * The request path as the router will see it, made comparable: Express matches case-insensitively and
 * some clients percent-encode, so `/API/v1` and `/%61pi/v1` must count as `/api` too.
 */
export function normaliseRequestPath(rawUrl: string): string {
  let p = rawUrl.split(/[?#]/, 1)[0] ?? '';
  try {
    p = decodeURIComponent(p);
  } catch {
    // Leave malformed escapes as they are; such a path matches no route anyway.
  }
  return p.replace(/\/{2,}/g, '/').toLowerCase();
}

export function isApiPath(rawUrl: string): boolean {
  const p = normaliseRequestPath(rawUrl);
  return p === '/api' || p.startsWith('/api/');
}

export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value ?? '');
  return match?.[1];
}

/** 403 unless the caller's role is among `allowed` (no list: any signed-in role). */
export function assertRole(user: AuthClaims, allowed: readonly Role[] | undefined): void {
  if (!allowed || allowed.length === 0 || allowed.includes(user.role)) return;
  throw new ForbiddenException(`role ${user.role} may not do this (needs ${allowed.join(' or ')})`);
}

/**
 * The one global guard (registered by AuthModule): every `/api` route needs a valid bearer token unless
 * marked @Public(); @Roles() then limits it by role. Routes outside `/api` (health, metrics, docs) pass
 * untouched unless they carry @Roles. Non-HTTP handlers (Kafka consumers) are not its business.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: JwtVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets)) return true;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);

    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequestLike>();
    if (!isApiPath(request.originalUrl ?? request.url ?? '') && !roles) return true;

    let user: AuthClaims;
    try {
      user = await this.verifier.verify(bearerToken(request.headers.authorization));
    } catch (err) {
      if (err instanceof UnauthorizedException) {
        const response = http.getResponse<HttpResponseLike>();
        const challenge = `Bearer realm="sp-platform", error="invalid_token"`;
        if (response.setHeader) response.setHeader('WWW-Authenticate', challenge);
        else response.header?.('WWW-Authenticate', challenge);
      }
      throw err;
    }
    request.user = user;
    assertRole(user, roles);
    return true;
  }
}

/**
 * For use with @UseGuards where the global guard is switched off: checks @Roles against a `request.user`
 * that something earlier has set. Under AuthModule's global guard it is redundant.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets)) return true;
    const user = context.switchToHttp().getRequest<RequestWithUser>().user;
    if (!user) throw new UnauthorizedException('missing bearer token');
    assertRole(user, this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets));
    return true;
  }
}
