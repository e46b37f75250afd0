/** Injection token for the resolved AuthConfig. */
export const AUTH_CONFIG = Symbol('sp:auth:config');
/** Metadata key set by @Public(). */
export const IS_PUBLIC_KEY = 'sp:auth:public';
/** Metadata key set by @Roles(). */
export const ROLES_KEY = 'sp:auth:roles';
