import { SignJWT } from 'jose';
import { AuthConfig, resolveAuthConfig } from './auth-config';
import { AuthClaims, validateClaims } from './claims';
import { DEV_KEY_ALG, loadDevKey } from './dev-keys';

export interface MintDevTokenOptions {
  /** A jose time span: '12h' (default), '30m', '7d'; '-1h' mints an already expired token for tests. */
  expiresIn?: string;
  /** Defaults to the environment (resolveAuthConfig). */
  config?: AuthConfig;
}

const TIME_SPAN =
  /^(\+|-)? ?(\d+|\d+\.\d+) ?(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)$/i;

export function isTimeSpan(input: string): boolean {
  return TIME_SPAN.test(input.trim());
}

/**
 * Signs a token with the local dev key (issuer sp-dev, audience sp-platform). Refuses outside dev mode,
 * and refuses claims the verifier would reject, so a minted token always works.
 */
export async function mintDevToken(claims: AuthClaims, opts: MintDevTokenOptions = {}): Promise<string> {
  const config = opts.config ?? resolveAuthConfig();
  if (config.mode !== 'dev') {
    throw new Error(`dev tokens can only be minted with AUTH_MODE=dev (AUTH_MODE is ${config.mode})`);
  }
  const valid = validateClaims(claims);
  const expiresIn = (opts.expiresIn ?? '12h').trim();
  if (!isTimeSpan(expiresIn))
    throw new Error(`expiresIn '${expiresIn}' is not a time span like 12h, 30m or 7d`);
  const key = await loadDevKey(config.keyDir);
  const { sub, ...rest } = valid;
  return new SignJWT({ ...rest })
    .setProtectedHeader({ alg: DEV_KEY_ALG, kid: key.kid, typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(key.privateKey);
}
