import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { AuthClaims } from './claims';

/** A request after the guard has run: `user` is set on every guarded route. */
export interface RequestWithUser {
  user?: AuthClaims;
}

/**
 * Injects the caller's verified claims (`@CurrentUser() user: AuthClaims`), or one of them
 * (`@CurrentUser('pcn') pcn?: string`). Undefined on @Public routes.
 */
export const CurrentUser = createParamDecorator(
  (
    field: keyof AuthClaims | undefined,
    ctx: ExecutionContext,
  ): AuthClaims | AuthClaims[keyof AuthClaims] | undefined => {
    const user = ctx.switchToHttp().getRequest<RequestWithUser>().user;
    return field ? user?.[field] : user;
  },
);
