import 'reflect-metadata';
import {
  Controller,
  Get,
  INestApplication,
  Module,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { exportJWK, generateKeyPair, JWK, KeyLike, SignJWT } from 'jose';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { JwksAuthConfig } from './auth-config';
import { AuthModule } from './auth.module';
import { mintDevToken } from './dev-token';
import { JwtVerifier } from './jwt-verifier';
import { Roles } from './roles.decorator';

const ISSUER = 'https://idp.test/';
const AUDIENCE = 'sp-platform';

@Controller('api/v1')
class ProbeController {
  @Get('x')
  @Roles('pcn_ops')
  x(): object {
    return { ok: true };
  }
}

describe('JwtVerifier in jwks mode', () => {
  let server: http.Server;
  let config: JwksAuthConfig;
  let signingKey: KeyLike;
  let jwksRequests = 0;
  const keys: JWK[] = [];

  const sign = (claims: Record<string, unknown>, opts: { key?: KeyLike; kid?: string; iss?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'idp-key-1' })
      .setSubject('user-1')
      .setIssuer(opts.iss ?? ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(opts.key ?? signingKey);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    keys.push({ ...(await exportJWK(pair.publicKey)), kid: 'idp-key-1', alg: 'RS256', use: 'sig' });
    server = http.createServer((req, res) => {
      jwksRequests++;
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    config = {
      mode: 'jwks',
      jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      issuer: ISSUER,
      audience: AUDIENCE,
      clockToleranceSeconds: 0,
    };
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('verifies a token signed by a key in the remote set', async () => {
    const verifier = new JwtVerifier(config);
    const claims = await verifier.verify(await sign({ role: 'pcn_ops', pcn: 'u00001', scope: 'sp.read' }));
    expect(claims).toEqual({ sub: 'user-1', role: 'pcn_ops', pcn: 'U00001', scope: 'sp.read' });
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it('rejects a token from a key the set does not hold', async () => {
    const other = await generateKeyPair('RS256');
    const verifier = new JwtVerifier(config);
    await expect(
      verifier.verify(await sign({ role: 'admin' }, { key: other.privateKey, kid: 'rogue' })),
    ).rejects.toThrow(new UnauthorizedException('token was signed by an unknown key'));
    await expect(verifier.verify(await sign({ role: 'admin' }, { key: other.privateKey }))).rejects.toThrow(
      /signature does not verify/,
    );
  });

  it('rejects the wrong issuer and claims the platform cannot use', async () => {
    const verifier = new JwtVerifier(config);
    await expect(
      verifier.verify(await sign({ role: 'admin' }, { iss: 'https://evil.test/' })),
    ).rejects.toThrow(/claim "iss"/);
    await expect(verifier.verify(await sign({ role: 'vcso_coordinator' }))).rejects.toThrow(
      'token claim "org" is required for role vcso_coordinator',
    );
  });

  it('answers 503, not 401, when the key set cannot be fetched', async () => {
    const down = new JwtVerifier({
      ...config,
      jwksUrl: `${config.jwksUrl.replace('jwks.json', 'missing.json')}`,
    });
    await expect(down.verify(await sign({ role: 'admin' }))).rejects.toThrow(ServiceUnavailableException);

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = new JwtVerifier({ ...config, jwksUrl: `http://127.0.0.1:${port}/jwks.json` });
    await expect(refused.verify(await sign({ role: 'admin' }))).rejects.toThrow(
      'signing keys are unavailable',
    );
    // A malformed token is still the caller's problem, even while the key set is down.
    await expect(refused.verify('garbage')).rejects.toThrow(new UnauthorizedException('token is malformed'));
  });

  it('refuses to mint dev tokens', async () => {
    await expect(mintDevToken({ sub: 'a', role: 'admin' }, { config })).rejects.toThrow(
      /only be minted with AUTH_MODE=dev/,
    );
  });

  describe('behind the global guard', () => {
    let app: INestApplication;
    let base: string;

    beforeAll(async () => {
      @Module({ imports: [AuthModule.forRoot({ config })], controllers: [ProbeController] })
      class ProbeModule {}
      app = await NestFactory.create(ProbeModule, { logger: false });
      await app.listen(0, '127.0.0.1');
      base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await app?.close();
    });

    it('admits the right role, forbids others and refuses anonymous callers', async () => {
      const call = async (token?: string) =>
        (await fetch(`${base}/api/v1/x`, { headers: token ? { authorization: `Bearer ${token}` } : {} }))
          .status;
      expect(await call(await sign({ role: 'pcn_ops', pcn: 'U00001' }))).toBe(200);
      expect(await call(await sign({ role: 'link_worker', pcn: 'U00001' }))).toBe(403);
      expect(await call()).toBe(401);
    });
  });
});
