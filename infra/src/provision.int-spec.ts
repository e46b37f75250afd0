import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canConnect, ensurePostgres, stopProvisionedPostgres } from './postgres';
import { ensureRedis, pingRedis, stopProvisionedRedis } from './redis';
import { freePort, isPortOpen } from './support/net';

// What `stack up` does on a machine without a Postgres or Redis service, tried on free ports and in
// temporary directories so that the shared servers on 5432 and 6379 are not touched.
describe('provisioning when nothing listens', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sp-provision-it-'));
    // mkdtemp makes it private; the cluster inside runs as the postgres user when we are root.
    await fs.chmod(dir, 0o755);
  });

  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('ensurePostgres creates and starts a cluster of its own, then uses it as already running', async () => {
    const port = await freePort();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const dataDir = path.join(dir, 'pg');
    const first = await ensurePostgres(url, { dataDir });
    try {
      expect(first).toEqual({ url, startedBy: 'pg_ctl', dataDir, port });
      expect(await canConnect(url)).toBe(true);
      expect(await ensurePostgres(url, { dataDir })).toEqual({ url, startedBy: 'already-running' });
    } finally {
      await stopProvisionedPostgres(first);
    }
    expect(await isPortOpen('127.0.0.1', port)).toBe(false);
  });

  it('ensurePostgres names the server when a remote one is unreachable, and starts nothing', async () => {
    await expect(ensurePostgres('postgres://postgres@192.0.2.1:5432/postgres')).rejects.toThrow(
      /Postgres at 192\.0\.2\.1:5432 is not reachable/,
    );
  });

  it('ensureRedis starts redis-server when the port is free, and stops only that one', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const first = await ensureRedis(url, { dir: path.join(dir, 'redis') });
    try {
      expect(first).toMatchObject({ url, startedBy: 'redis-server', port });
      expect(await pingRedis(url)).toBeUndefined();
      expect(await ensureRedis(url)).toEqual({ url, startedBy: 'already-running' });
      // Stopping an "already running" provision is a no-op: the server stays up.
      await stopProvisionedRedis({ url, startedBy: 'already-running' });
      expect(await pingRedis(url)).toBeUndefined();
    } finally {
      await stopProvisionedRedis(first);
    }
    expect(await isPortOpen('127.0.0.1', port)).toBe(false);
  });
});
