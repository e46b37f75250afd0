import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEV_KEY_FILE, loadDevKey, readOrCreateDevKey, writeNewDevKey } from './dev-keys';

describe('dev keys', () => {
  let dir: string;

  beforeEach(async () => {
    dir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'sp-dev-keys-')), 'nested', 'keys');
  });

  afterEach(async () => {
    await fs.rm(path.dirname(path.dirname(dir)), { recursive: true, force: true });
  });

  it('creates the key on first use and reuses it afterwards', async () => {
    const first = await readOrCreateDevKey(dir);
    const again = await readOrCreateDevKey(dir);
    expect(again.kid).toBe(first.kid);
    expect(first.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: first.kid, alg: 'ES256' });
    expect(first.publicJwk).not.toHaveProperty('d');
    const stat = await fs.stat(path.join(dir, DEV_KEY_FILE));
    expect(stat.mode & 0o077).toBe(0);
    expect(await fs.readdir(dir)).toEqual([DEV_KEY_FILE]);
  });

  it('converges on one key when many callers race to create it', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => readOrCreateDevKey(dir)));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
    expect(await fs.readdir(dir)).toEqual([DEV_KEY_FILE]);
  });

  it('never replaces a key another process has already published', async () => {
    // The loser of a creation race has already generated its own key by the time it publishes.
    const winner = await readOrCreateDevKey(dir);
    await writeNewDevKey(dir);
    expect((await readOrCreateDevKey(dir)).kid).toBe(winner.kid);
    expect(await fs.readdir(dir)).toEqual([DEV_KEY_FILE]);
  });

  it('memoises per directory', async () => {
    const [a, b] = await Promise.all([loadDevKey(dir), loadDevKey(path.join(dir, '.'))]);
    expect(a).toBe(b);
  });

  it('names a corrupt key file instead of silently replacing it', async () => {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, DEV_KEY_FILE), '{nope');
    await expect(readOrCreateDevKey(dir)).rejects.toThrow(
      /es256-signing-key\.json is unreadable .* delete it/,
    );
  });
});
