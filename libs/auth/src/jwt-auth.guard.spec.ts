import 'reflect-metadata';
import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { generateKeyPair, SignJWT } from 'jose';
import { promises as fs } from 'node:fs';
import { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEV_AUDIENCE, DEV_ISSUER } from './auth-config';
import { AuthModule } from './auth.module';
import { AuthClaims } from './claims';
import { CurrentUser } from './current-user.decorator';
import { loadDevKey } from './dev-keys';
import { mintDevToken } from './dev-token';
import { bearerToken, isApiPath, normaliseRequestPath } from './jwt-auth.guard';
import { Public } from './public.decorator';
import { Roles } from './roles.decorator';

@Controller()
class ProbeController {
  @Get('api/v1/x')
  @Roles('link_worker')
  x(@CurrentUser() user: AuthClaims, @CurrentUser('pcn') pcn: string | undefined): object {
    return { sub: user.sub, pcn };
  }

  @Get('api/v1/any')
  any(@CurrentUser('role') role: string): object {
    return { role };
  }

  @Public()
  @Get('api/v1/open')
  open(@CurrentUser() user: AuthClaims | undefined): object {
    return { open: true, user: user ?? null };
  }

  @Get('health')
  health(): object {
    return { status: 'ok' };
  }

  @Get('internal/admin')
  @Roles('admin')
  internal(): object {
    return { ok: true };
  }
}

@Roles('pcn_ops')
@Controller('api/v1/ops')
class OpsController {
  @Get()
  list(): object {
    return { ok: true };
  }

  @Get('shared')
  @Roles('link_worker', 'pcn_ops')
  shared(): object {
    return { ok: true };
  }
}

@Module({ imports: [AuthModule.forRoot()], controllers: [ProbeController, OpsController] })
class ProbeModule {}

describe('JwtAuthGuard in a running Nest app (dev mode)', () => {
  let app: INestApplication;
  let base: string;
  let keyDir: string;
  const savedEnv = { ...process.env };

  const get = async (p: string, token?: string) => {
    const res = await fetch(`${base}${p}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      headers: res.headers,
    };
  };
  const token = (claims: AuthClaims, expiresIn?: string) => mintDevToken(claims, { expiresIn });
  const linkWorker: AuthClaims = { sub: 'lw-1', role: 'link_worker', pcn: 'U00001' };

  beforeAll(async () => {
    keyDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sp-auth-guard-'));
    process.env.AUTH_MODE = 'dev';
    process.env.AUTH_DEV_KEY_DIR = keyDir;
    app = await NestFactory.create(ProbeModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app?.close();
    process.env = savedEnv;
    await fs.rm(keyDir, { recursive: true, force: true });
  });

  it('creates the dev key at start-up', async () => {
    expect(await fs.readdir(keyDir)).toEqual(['es256-signing-key.json']);
  });

  it('answers 401 without a token, with a challenge', async () => {
    const res = await get('/api/v1/x');
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('missing bearer token');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('answers 401 to garbage', async () => {
    const res = await get('/api/v1/x', 'not.a.jwt');
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('token is malformed');
    expect((await get('/api/v1/x', 'garbage')).status).toBe(401);
  });

  it('answers 401 to an expired token', async () => {
    const res = await get('/api/v1/x', await token(linkWorker, '-1h'));
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('token has expired');
  });

  it('answers 401 to a token signed by another key', async () => {
    const other = await generateKeyPair('ES256');
    const forged = await new SignJWT({ role: 'link_worker', pcn: 'U00001' })
      .setProtectedHeader({ alg: 'ES256', kid: (await loadDevKey(keyDir)).kid })
      .setSubject('lw-1')
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(other.privateKey);
    const res = await get('/api/v1/x', forged);
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/signature/);
  });

  it('answers 401 to an HMAC token, a wrong audience, no expiry or a missing scope claim', async () => {
    const key = await loadDevKey(keyDir);
    const base = () =>
      new SignJWT({ role: 'link_worker', pcn: 'U00001' })
        .setSubject('lw-1')
        .setIssuer(DEV_ISSUER)
        .setIssuedAt();
    const hmac = await base()
      .setAudience(DEV_AUDIENCE)
      .setExpirationTime('1h')
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect((await get('/api/v1/x', hmac)).body.message).toBe('token uses an algorithm that is not allowed');

    const wrongAud = await base()
      .setAudience('someone-else')
      .setExpirationTime('1h')
      .setProtectedHeader({ alg: 'ES256' })
      .sign(key.privateKey);
    const aud = await get('/api/v1/x', wrongAud);
    expect(aud.status).toBe(401);
    expect(aud.body.message).toMatch(/claim "aud"/);

    const noExp = await base()
      .setAudience(DEV_AUDIENCE)
      .setProtectedHeader({ alg: 'ES256' })
      .sign(key.privateKey);
    const exp = await get('/api/v1/x', noExp);
    expect(exp.status).toBe(401);
    expect(exp.body.message).toMatch(/"exp"/);

    const noPcn = await new SignJWT({ role: 'link_worker' })
      .setSubject('lw-1')
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .setProtectedHeader({ alg: 'ES256' })
      .sign(key.privateKey);
    const scope = await get('/api/v1/x', noPcn);
    expect(scope.status).toBe(401);
    expect(scope.body.message).toBe('token claim "pcn" is required for role link_worker');
  });

  it('answers 403 to the wrong role', async () => {
    const res = await get('/api/v1/x', await token({ sub: 'ops-1', role: 'pcn_ops', pcn: 'U00001' }));
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/role pcn_ops may not/);
  });

  it('answers 200 to the right role and hands the claims to the handler', async () => {
    const res = await get('/api/v1/x', await token(linkWorker));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'lw-1', pcn: 'U00001' });
  });

  it('lets any signed-in role reach a route without @Roles', async () => {
    const res = await get('/api/v1/any', await token({ sub: 'a', role: 'ics_analyst', ics: 'QXX' }));
    expect(res).toMatchObject({ status: 200, body: { role: 'ics_analyst' } });
    expect((await get('/api/v1/any')).status).toBe(401);
  });

  it('honours controller-level @Roles and lets a handler override it', async () => {
    const ops = await token({ sub: 'o', role: 'pcn_ops', pcn: 'U00001' });
    const lw = await token(linkWorker);
    expect((await get('/api/v1/ops', ops)).status).toBe(200);
    expect((await get('/api/v1/ops', lw)).status).toBe(403);
    expect((await get('/api/v1/ops/shared', lw)).status).toBe(200);
  });

  it('leaves @Public routes open', async () => {
    expect(await get('/api/v1/open')).toMatchObject({ status: 200, body: { open: true, user: null } });
  });

  it('does not guard /health', async () => {
    expect(await get('/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('still guards a route outside /api that asks for a role', async () => {
    expect((await get('/internal/admin')).status).toBe(401);
    expect((await get('/internal/admin', await token({ sub: 'z', role: 'admin' }))).status).toBe(200);
  });

  it('cannot be dodged by changing the case of the path (Express routes case-insensitively)', async () => {
    expect((await get('/API/v1/x')).status).toBe(401);
    expect((await get('/Api/V1/any?x=1')).status).toBe(401);
  });
});

describe('request helpers', () => {
  it('normalises paths for the /api check', () => {
    expect(normaliseRequestPath('/API//v1/x?y=1')).toBe('/api/v1/x');
    expect(isApiPath('/api/v1/referrals')).toBe(true);
    expect(isApiPath('/%61pi/v1/referrals')).toBe(true);
    expect(isApiPath('/api')).toBe(true);
    expect(isApiPath('/api-docs')).toBe(false);
    expect(isApiPath('/health')).toBe(false);
    expect(isApiPath('/metrics?api/')).toBe(false);
    expect(isApiPath('/%E0%A4%A')).toBe(false);
  });

  it('extracts bearer tokens', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
