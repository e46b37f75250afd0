import * as jose from 'jose';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveAuthConfig } from './auth-config';
import { mintDevToken } from './dev-token';
import { JwtVerifier } from './jwt-verifier';

describe('JwtVerifier: verified tokens are remembered until they expire', () => {
  let keyDir: string;
  let verifier: JwtVerifier;
  let config: ReturnType<typeof resolveAuthConfig>;

  beforeAll(async () => {
    keyDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sp-auth-cache-'));
    config = resolveAuthConfig({ AUTH_MODE: 'dev', AUTH_DEV_KEY_DIR: keyDir });
    verifier = new JwtVerifier(config);
    await verifier.onModuleInit();
  });
  afterAll(() => fs.rm(keyDir, { recursive: true, force: true }));

  it('checks the signature once per token, and each caller gets its own copy of the claims', async () => {
    const token = await mintDevToken({ sub: 'lw-1', role: 'link_worker', pcn: 'U00001' }, { config });
    const spy = jest.spyOn(jose, 'jwtVerify');
    try {
      const first = await verifier.verify(token);
      first.pcn = 'U99999'; // a caller that mutates its claims must not change the next caller's
      const second = await verifier.verify(token);
      expect(second).toEqual({ sub: 'lw-1', role: 'link_worker', pcn: 'U00001' });
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('still refuses a tampered token after its genuine twin was remembered', async () => {
    const token = await mintDevToken({ sub: 'lw-2', role: 'link_worker', pcn: 'U00001' }, { config });
    await verifier.verify(token);
    const [h, p, sig] = token.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, role: 'admin' })).toString('base64url')}.${sig}`;
    await expect(verifier.verify(forged)).rejects.toThrow();
  });

  it('checks the signature again once the remembered token has expired', async () => {
    const token = await mintDevToken(
      { sub: 'lw-3', role: 'link_worker', pcn: 'U00001' },
      { config, expiresIn: '2s' },
    );
    const spy = jest.spyOn(jose, 'jwtVerify');
    const realNow = Date.now;
    try {
      await verifier.verify(token);
      Date.now = () => realNow() + 3_600_000; // the cache's clock; jose keeps its own
      await verifier.verify(token).catch(() => undefined);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      Date.now = realNow;
      spy.mockRestore();
    }
  });
});
