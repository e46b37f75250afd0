import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEV_AUDIENCE, DEV_ISSUER, resolveAuthConfig } from './auth-config';
import { findRepoRoot } from './repo-root';

describe('resolveAuthConfig', () => {
  it('defaults to dev mode with keys under the repo root', () => {
    const config = resolveAuthConfig({});
    expect(config).toMatchObject({
      mode: 'dev',
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      clockToleranceSeconds: 5,
    });
    expect(config.mode === 'dev' && config.keyDir).toBe(path.join(findRepoRoot(), '.cache', 'dev-keys'));
  });

  it('honours AUTH_DEV_KEY_DIR', () => {
    const config = resolveAuthConfig({ AUTH_DEV_KEY_DIR: '/tmp/x-keys' });
    expect(config.mode === 'dev' && config.keyDir).toBe('/tmp/x-keys');
  });

  it('reads jwks settings and refuses jwks mode without them', () => {
    expect(
      resolveAuthConfig({
        AUTH_MODE: 'jwks',
        AUTH_JWKS_URL: 'https://idp.example/jwks',
        AUTH_ISSUER: 'https://idp.example/',
        AUTH_AUDIENCE: 'sp',
        AUTH_CLOCK_TOLERANCE_SECONDS: '0',
      }),
    ).toEqual({
      mode: 'jwks',
      jwksUrl: 'https://idp.example/jwks',
      issuer: 'https://idp.example/',
      audience: 'sp',
      clockToleranceSeconds: 0,
    });
    expect(() => resolveAuthConfig({ AUTH_MODE: 'jwks', AUTH_JWKS_URL: 'https://idp.example/jwks' })).toThrow(
      'AUTH_MODE=jwks needs AUTH_ISSUER, AUTH_AUDIENCE',
    );
    expect(() =>
      resolveAuthConfig({
        AUTH_MODE: 'jwks',
        AUTH_JWKS_URL: 'not a url',
        AUTH_ISSUER: 'i',
        AUTH_AUDIENCE: 'a',
      }),
    ).toThrow(/AUTH_JWKS_URL is not a URL/);
    expect(() => resolveAuthConfig({ AUTH_MODE: 'oidc' })).toThrow(/AUTH_MODE must be 'dev' or 'jwks'/);
    expect(() => resolveAuthConfig({ AUTH_CLOCK_TOLERANCE_SECONDS: 'soon' })).toThrow(
      /AUTH_CLOCK_TOLERANCE_SECONDS/,
    );
  });
});

describe('findRepoRoot', () => {
  it('walks up to the monorepo root from anywhere inside it', () => {
    const root = findRepoRoot();
    expect(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).name).toBe(
      'social-prescribing-platform',
    );
    expect(findRepoRoot(path.join(root, 'libs', 'auth', 'src', 'cli'))).toBe(root);
  });
});
