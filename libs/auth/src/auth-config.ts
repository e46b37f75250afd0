import * as path from 'node:path';
import { findRepoRoot } from './repo-root';

export type AuthMode = 'dev' | 'jwks';

export const DEV_ISSUER = 'sp-dev';
export const DEV_AUDIENCE = 'sp-platform';

interface CommonAuthConfig {
  issuer: string;
  audience: string;
  /** Allowed clock skew between issuer and verifier, in seconds. */
  clockToleranceSeconds: number;
}

/** Locally generated ES256 key pair under `keyDir`; for development, tests and demos only. */
export interface DevAuthConfig extends CommonAuthConfig {
  mode: 'dev';
  keyDir: string;
}

/** Tokens from a real identity provider, verified against its published key set. */
export interface JwksAuthConfig extends CommonAuthConfig {
  mode: 'jwks';
  jwksUrl: string;
}

export type AuthConfig = DevAuthConfig | JwksAuthConfig;

export function defaultDevKeyDir(): string {
  return path.join(findRepoRoot(), '.cache', 'dev-keys');
}

/**
 * Reads AUTH_MODE (dev by default, or jwks), AUTH_DEV_KEY_DIR, AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE
 * and AUTH_CLOCK_TOLERANCE_SECONDS. jwks mode without its three settings is a start-up error, never a
 * silent fallback to dev keys.
 */
export function resolveAuthConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const mode = (env.AUTH_MODE ?? 'dev').trim() || 'dev';
  const tolerance = env.AUTH_CLOCK_TOLERANCE_SECONDS ? Number(env.AUTH_CLOCK_TOLERANCE_SECONDS) : 5;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new Error(
      `AUTH_CLOCK_TOLERANCE_SECONDS must be a number of seconds, got '${env.AUTH_CLOCK_TOLERANCE_SECONDS}'`,
    );
  }
  if (mode === 'dev') {
    return {
      mode: 'dev',
      keyDir: path.resolve(env.AUTH_DEV_KEY_DIR || defaultDevKeyDir()),
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      clockToleranceSeconds: tolerance,
    };
  }
  if (mode === 'jwks') {
    const missing = ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'].filter((name) => !env[name]?.trim());
    if (missing.length > 0) throw new Error(`AUTH_MODE=jwks needs ${missing.join(', ')}`);
    const jwksUrl = env.AUTH_JWKS_URL!.trim();
    try {
      new URL(jwksUrl);
    } catch {
      throw new Error(`AUTH_JWKS_URL is not a URL: '${jwksUrl}'`);
    }
    return {
      mode: 'jwks',
      jwksUrl,
      issuer: env.AUTH_ISSUER!.trim(),
      audience: env.AUTH_AUDIENCE!.trim(),
      clockToleranceSeconds: tolerance,
    };
  }
  throw new Error(`AUTH_MODE must be 'dev' or 'jwks', got '${mode}'`);
}
