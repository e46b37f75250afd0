import {
  Inject,
  Injectable,
  OnModuleInit,
  Optional,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  JWTVerifyGetKey,
  jwtVerify,
  JWTVerifyOptions,
  KeyLike,
} from 'jose';
import { AUTH_CONFIG } from './auth.constants';
import { AuthConfig, resolveAuthConfig } from './auth-config';
import { AuthClaims, InvalidClaimsError, validateClaims } from './claims';
import { DEV_KEY_ALG, loadDevKey, reloadDevKey } from './dev-keys';

// Asymmetric only: a symmetric alg would let anyone holding the (public) verification key sign tokens.
const JWKS_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
const DEV_KEY_RELOAD_INTERVAL_MS = 5_000;

/** Maps jose's failures to a reason a developer can act on; key-set outages are not the caller's fault. */
function toHttpError(err: unknown, remote: boolean): Error {
  if (err instanceof InvalidClaimsError) return new UnauthorizedException(`token ${err.message}`);
  if (err instanceof errors.JWTExpired) return new UnauthorizedException('token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new UnauthorizedException(`token claim "${err.claim}" is not valid: ${err.reason}`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new UnauthorizedException('token signature does not verify (signed by another key?)');
  }
  if (err instanceof errors.JWKSNoMatchingKey)
    return new UnauthorizedException('token was signed by an unknown key');
  if (err instanceof errors.JOSEAlgNotAllowed)
    return new UnauthorizedException('token uses an algorithm that is not allowed');
  if (err instanceof errors.JWKSTimeout)
    return new ServiceUnavailableException('signing keys could not be fetched in time');
  if (
    err instanceof errors.JWSInvalid ||
    err instanceof errors.JWTInvalid ||
    err instanceof errors.JOSENotSupported
  ) {
    return new UnauthorizedException('token is malformed');
  }
  // Whatever else goes wrong with a remote key set (connection refused, non-200, bad JSON) is an outage.
  if (remote) return new ServiceUnavailableException('signing keys are unavailable');
  if (err instanceof errors.JOSEError || err instanceof TypeError)
    return new UnauthorizedException('token is malformed');
  return err instanceof Error ? err : new Error(String(err));
}

const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Verifies bearer tokens against the configured issuer (dev keys or a remote JWKS) and returns their
 * validated claims. Throws UnauthorizedException with a reason; ServiceUnavailableException when the
 * key set cannot be fetched.
 */
@Injectable()
export class JwtVerifier implements OnModuleInit {
  readonly config: AuthConfig;
  private remoteKeys?: JWTVerifyGetKey;
  private lastDevReload = 0;
  /**
   * Tokens already verified, with their claims, until they expire: a client sends the same token on
   * every request, and an ES256 verification costs more CPU than the rest of a small request.
   */
  private readonly verified = new Map<string, { claims: AuthClaims; expiresAtMs: number }>();

  constructor(@Optional() @Inject(AUTH_CONFIG) config?: AuthConfig) {
    this.config = config ?? resolveAuthConfig();
    if (this.config.mode === 'jwks') this.remoteKeys = createRemoteJWKSet(new URL(this.config.jwksUrl));
  }

  /** Creates or loads the dev key at start-up, so a bad key directory fails the boot, not the first request. */
  async onModuleInit(): Promise<void> {
    if (this.config.mode === 'dev') await loadDevKey(this.config.keyDir);
  }

  async verify(token: string | undefined | null): Promise<AuthClaims> {
    if (!token || !token.trim()) throw new UnauthorizedException('missing bearer token');
    const hit = this.verified.get(token);
    if (hit && hit.expiresAtMs > Date.now()) return { ...hit.claims };
    const { claims, exp } = await this.verifyUncached(token);
    if (typeof exp === 'number') {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) {
        // Oldest first (a Map keeps insertion order).
        this.verified.delete(this.verified.keys().next().value as string);
      }
      this.verified.set(token, { claims: { ...claims }, expiresAtMs: exp * 1000 });
    }
    return claims;
  }

  private async verifyUncached(token: string): Promise<{ claims: AuthClaims; exp: unknown }> {
    const options: JWTVerifyOptions = {
      issuer: this.config.issuer,
      audience: this.config.audience,
      clockTolerance: this.config.clockToleranceSeconds,
      requiredClaims: ['exp', 'sub'],
    };
    try {
      if (this.config.mode === 'jwks') {
        const { payload } = await jwtVerify(token, this.remoteKeys!, {
          ...options,
          algorithms: JWKS_ALGORITHMS,
        });
        return { claims: validateClaims(payload), exp: payload.exp };
      }
      const key = await this.devPublicKey(token);
      const { payload } = await jwtVerify(token, key, { ...options, algorithms: [DEV_KEY_ALG] });
      return { claims: validateClaims(payload), exp: payload.exp };
    } catch (err) {
      throw toHttpError(err, this.config.mode === 'jwks');
    }
  }

  // If the key file was replaced (e.g. .cache wiped) while this process ran, tokens minted since carry a
  // new kid: read the file again, at most every few seconds.
  private async devPublicKey(token: string): Promise<KeyLike> {
    if (this.config.mode !== 'dev') throw new Error('not in dev mode');
    let key = await loadDevKey(this.config.keyDir);
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return key.publicKey; // jwtVerify reports the malformed token
    }
    const now = Date.now();
    if (typeof kid === 'string' && kid !== key.kid && now - this.lastDevReload > DEV_KEY_RELOAD_INTERVAL_MS) {
      this.lastDevReload = now;
      key = await reloadDevKey(this.config.keyDir);
    }
    return key.publicKey;
  }
}
