import { SetMetadata } from '@nestjs/common';
import { ROLES_KEY } from './auth.constants';
import { isRole, Role } from './roles';

/**
 * Limits a handler or controller to these roles (403 for any other); a handler's list replaces its
 * controller's. Without @Roles any signed-in role may call an `/api` route.
 */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => {
  const unknown = roles.filter((r) => !isRole(r));
  // Fail at class definition: a typo would otherwise lock everyone out (or, worse, go unnoticed).
  if (unknown.length > 0) throw new Error(`@Roles: unknown role(s) ${unknown.join(', ')}`);
  if (roles.length === 0) throw new Error('@Roles needs at least one role');
  return SetMetadata(ROLES_KEY, roles);
};
