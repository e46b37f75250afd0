import {
  applyDecorators,
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  SetMetadata,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiConsumes } from '@nestjs/swagger';
import type { Observable } from 'rxjs';

export const BODY_MEDIA_TYPES = 'sp:bodyMediaTypes';

/** What a route takes unless it says otherwise: JSON (and plain forms, which validate the same way). */
export const DEFAULT_BODY_MEDIA_TYPES = [
  'application/json',
  'application/*+json',
  'application/x-www-form-urlencoded',
];

/**
 * The media types a route reads its body as (declared in the OpenAPI document too). A route that
 * streams its own body, such as a CSV import, lists its types here; every other route takes JSON.
 */
export function BodyMediaTypes(...types: string[]): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(BODY_MEDIA_TYPES, types), ApiConsumes(...types));
}

interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
}

/** Whether the request carries a body at all (an empty one is no body). */
export function hasBody(req: RequestLike): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

/** `text/CSV; charset=utf-8` -> `text/csv`. */
export function mediaTypeOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return (value ?? '').split(';', 1)[0].trim().toLowerCase();
}

/** `application/*+json` matches `application/merge-patch+json`; other patterns match exactly. */
export function mediaTypeMatches(type: string, pattern: string): boolean {
  if (pattern.includes('*')) {
    const [before, after] = pattern.split('*', 2);
    return type.length > before.length + after.length && type.startsWith(before) && type.endsWith(after);
  }
  return type === pattern;
}

/**
 * 415 for a body the route would not read as sent: without this, a JSON route given `text/plain`
 * sees an empty object, and a route whose fields are all optional would act on a body it never read.
 * Runs after the guards, so an unauthenticated caller still gets its 401 first.
 */
@Injectable()
export class BodyMediaTypeInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<RequestLike>();
    if (hasBody(req)) {
      const declared = this.reflector.getAllAndOverride<string[] | undefined>(BODY_MEDIA_TYPES, [
        context.getHandler(),
        context.getClass(),
      ]);
      const allowed = declared?.length ? declared : DEFAULT_BODY_MEDIA_TYPES;
      const type = mediaTypeOf(req.headers['content-type']);
      if (!allowed.some((pattern) => mediaTypeMatches(type, pattern))) {
        throw new UnsupportedMediaTypeException(
          `send the body as ${allowed.filter((t) => !t.includes('*')).join(' or ')}`,
        );
      }
    }
    return next.handle();
  }
}
