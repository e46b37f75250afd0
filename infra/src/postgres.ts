import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { commandExists, runCommand, runChecked, tail } from './support/exec';
import { isLocalHost, isPortOpen, waitForPortClosed } from './support/net';
import { CACHE_DIR, displayPath } from './support/paths';
import { isProcessAlive, pathExists, readPidFile, readTail } from './support/process-utils';
import { errorMessage, waitUntil } from './support/wait';

/** The maintenance database of the local server, as the stack uses it when nothing else is said. */
export const DEFAULT_PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Where the stack keeps a Postgres cluster of its own when none is installed as a service. */
export const STACK_PG_DIR = path.join(CACHE_DIR, 'pg', 'data');

/**
 * The admin URL to use: PG_ADMIN_URL, else DATABASE_URL pointed at the `postgres` database, else
 * the local default. The stack creates databases through it, so it must reach the maintenance db.
 */
export function pgAdminUrl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PG_ADMIN_URL) return env.PG_ADMIN_URL;
  if (env.DATABASE_URL) return withDatabase(env.DATABASE_URL, 'postgres');
  return DEFAULT_PG_ADMIN_URL;
}

/** The same server URL with another database name. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** How ensurePostgres got a server: it was there, or it started the system cluster or its own. */
export type PostgresProvision =
  | { url: string; startedBy: 'already-running' }
  | { url: string; startedBy: 'pg_ctlcluster'; version: string; cluster: string }
  | { url: string; startedBy: 'pg_ctl'; dataDir: string; port: number };

/**
 * Makes sure a Postgres server answers at `url` (the admin URL by default). One already listening
 * is used as it is; else, on this machine, the installed cluster is started with pg_ctlcluster, or
 * failing that a cluster of our own is created under `.cache/pg` and started with pg_ctl. The
 * result says which, so that the stack script stops only what it started.
 */
export async function ensurePostgres(
  url?: string,
  opts: {
    log?: (line: string) => void;
    /** Own cluster's data dir; `.cache/pg/data` by default. */ dataDir?: string;
  } = {},
): Promise<PostgresProvision> {
  const target = url ?? pgAdminUrl();
  const log = opts.log ?? (() => undefined);
  const first = await tryConnect(target);
  if (first === undefined) return { url: target, startedBy: 'already-running' };
  const { hostname, port: portText } = new URL(target);
  const host = hostname.replace(/^\[|\]$/g, '');
  const port = Number(portText || 5432);
  if (!isLocalHost(host)) throw new Error(`Postgres at ${host}:${port} is not reachable: ${first}`);
  if (await isPortOpen(host, port)) {
    // Listening but refusing: most often a server still starting up or recovering.
    await waitForConnect(target, 30_000);
    return { url: target, startedBy: 'already-running' };
  }

  const cluster = await findSystemCluster(port);
  if (cluster) {
    log(`starting the installed Postgres ${cluster.version}/${cluster.name} with pg_ctlcluster`);
    const r = await runCommand(
      'pg_ctlcluster',
      ['--skip-systemctl-redirect', cluster.version, cluster.name, 'start'],
      {
        timeoutMs: 60_000,
      },
    );
    if (r.code === 0 && (await tryConnectFor(target, 30_000))) {
      return { url: target, startedBy: 'pg_ctlcluster', version: cluster.version, cluster: cluster.name };
    }
    log(
      `pg_ctlcluster did not give a working server (${tail(`${r.stdout}${r.stderr}`.trim(), 3) || `exit ${r.code}`})`,
    );
  }

  const dataDir = opts.dataDir ?? STACK_PG_DIR;
  log(`starting a Postgres cluster of our own in ${displayPath(dataDir)} on port ${port}`);
  const own = new TempPostgres({ port, dataDir, durable: true });
  await own.start();
  await waitForConnect(target, 30_000);
  return { url: target, startedBy: 'pg_ctl', dataDir, port };
}

/** Stops a server that ensurePostgres started (never one that was already running). */
export async function stopProvisionedPostgres(p: PostgresProvision): Promise<void> {
  if (p.startedBy === 'pg_ctlcluster') {
    await runChecked(
      'pg_ctlcluster',
      ['--skip-systemctl-redirect', p.version, p.cluster, 'stop', '-m', 'fast'],
      {
        timeoutMs: 60_000,
      },
    );
  } else if (p.startedBy === 'pg_ctl') {
    await new TempPostgres({ port: p.port, dataDir: p.dataDir }).stop('fast');
  }
}

/** True when a connection to `url` works and answers a query. */
export async function canConnect(url: string): Promise<boolean> {
  return (await tryConnect(url)) === undefined;
}

/**
 * Creates each database that does not exist yet. Safe when several processes do it at once: the
 * loser of a CREATE DATABASE race gets "already exists" (or a unique violation on pg_database),
 * which is what it wanted anyway. Returns the names it created.
 */
export async function ensureDatabases(names: string[], adminUrl?: string): Promise<string[]> {
  const client = new Client({ connectionString: adminUrl ?? pgAdminUrl(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const created: string[] = [];
    for (const name of names) {
      if (await createDatabaseIfMissing(client, name)) created.push(name);
    }
    return created;
  } finally {
    await client.end();
  }
}

async function createDatabaseIfMissing(client: Client, name: string): Promise<boolean> {
  const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (found.rowCount && found.rowCount > 0) return false;
  try {
    await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '42P04' || code === '23505') return false; // duplicate_database / unique_violation
    throw err;
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export interface TempPostgresOptions {
  port: number;
  /** The cluster's data directory; a fresh temporary one by default. */
  dataDir?: string;
  /** Keep fsync and full-page writes on (the stack's own cluster); off by default for speed (safe unless the OS crashes). */
  durable?: boolean;
}

/**
 * A Postgres cluster of its own, from the installed binaries: initdb with trust auth, listening on
 * 127.0.0.1:`port`. Tests use it to stop and start a database under a running service. Postgres
 * refuses to run as root, so as root the cluster belongs to, and runs as, the `postgres` user.
 */
export class TempPostgres {
  readonly port: number;
  readonly dataDir: string;
  private readonly durable: boolean;
  private readonly ownsParent: string | undefined;

  constructor(opts: TempPostgresOptions) {
    this.port = opts.port;
    this.durable = opts.durable ?? false;
    if (opts.dataDir) {
      this.dataDir = path.resolve(opts.dataDir);
    } else {
      this.ownsParent = mkdtempSync(path.join(os.tmpdir(), 'sp-pg-'));
      this.dataDir = path.join(this.ownsParent, 'data');
    }
  }

  get logFile(): string {
    return path.join(this.dataDir, 'postgres.log');
  }

  /** A connection URL for database `db` of this cluster. */
  url(db = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${encodeURIComponent(db)}`;
  }

  /** Initialises the cluster on first use, starts it and waits until it accepts connections. */
  async start(): Promise<void> {
    if (await this.isRunning()) return;
    if (await isPortOpen('127.0.0.1', this.port)) {
      throw new Error(`Cannot start Postgres in ${this.dataDir}: port ${this.port} is already in use`);
    }
    const bin = await pgBinDir();
    if (!(await pathExists(path.join(this.dataDir, 'PG_VERSION')))) await this.initdb(bin);
    const serverOpts = [
      `-p ${this.port}`,
      `-k '${this.dataDir}'`,
      '-c listen_addresses=127.0.0.1',
      // Without fsync a committed transaction still survives a crash of Postgres (the WAL is written,
      // only not flushed), which is what the tests inject; synchronous_commit stays on for that reason.
      ...(this.durable ? [] : ['-c fsync=off', '-c full_page_writes=off']),
    ].join(' ');
    const r = await this.asOwner(path.join(bin, 'pg_ctl'), [
      '-D',
      this.dataDir,
      '-l',
      this.logFile,
      '-o',
      serverOpts,
      '-w',
      '-t',
      '60',
      'start',
    ]);
    if (r.code !== 0) {
      throw new Error(
        `pg_ctl could not start Postgres in ${this.dataDir} (exit ${r.code}): ${r.stderr.trim()}\n--- ${this.logFile} ---\n${await readTail(this.logFile, 20)}`,
      );
    }
    await waitForConnect(this.url(), 30_000);
  }

  /** Stops the cluster: `fast` disconnects clients and shuts down cleanly, `immediate` is a crash. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!(await this.isRunning())) return;
    const bin = await pgBinDir();
    const r = await this.asOwner(path.join(bin, 'pg_ctl'), [
      '-D',
      this.dataDir,
      '-m',
      mode,
      '-w',
      '-t',
      '60',
      'stop',
    ]);
    if (r.code !== 0 && (await this.isRunning())) {
      throw new Error(
        `pg_ctl could not stop Postgres in ${this.dataDir} (exit ${r.code}): ${r.stderr.trim()}`,
      );
    }
    await waitForPortClosed('127.0.0.1', this.port, 15_000);
  }

  /** True while the cluster's postmaster is alive. */
  async isRunning(): Promise<boolean> {
    const pid = await readPidFile(path.join(this.dataDir, 'postmaster.pid'));
    return pid !== undefined && (await isProcessAlive(pid));
  }

  /** Creates database `name` if it does not exist; returns its URL. */
  async createDatabase(name: string): Promise<string> {
    await ensureDatabases([name], this.url());
    return this.url(name);
  }

  /** Stops the cluster at once and deletes its files (only a temporary directory it created itself). */
  async destroy(): Promise<void> {
    await this.stop('immediate');
    if (this.ownsParent) await fs.rm(this.ownsParent, { recursive: true, force: true });
  }

  private async initdb(bin: string): Promise<void> {
    // Only the data dir itself is private: its parents must stay traversable for the postgres user.
    await fs.mkdir(path.dirname(this.dataDir), { recursive: true });
    await fs.mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    if (runningAsRoot()) {
      const { uid, gid } = await postgresUser();
      if (this.ownsParent) await fs.chown(this.ownsParent, uid, gid);
      await fs.chown(this.dataDir, uid, gid);
      const parent = path.dirname(this.dataDir);
      if ((await runCommand('runuser', ['-u', 'postgres', '--', 'test', '-x', parent])).code !== 0) {
        throw new Error(
          `The postgres user cannot reach ${this.dataDir}: make ${parent} and its parents traversable (chmod o+x)`,
        );
      }
    }
    const r = await this.asOwner(path.join(bin, 'initdb'), [
      '-D',
      this.dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
      ...(this.durable ? [] : ['--no-sync']),
    ]);
    if (r.code !== 0) {
      throw new Error(
        `initdb failed for ${this.dataDir} (exit ${r.code}):\n${tail(`${r.stdout}\n${r.stderr}`.trim(), 20)}`,
      );
    }
  }

  /** Runs a Postgres tool as the cluster's owner: ourselves, or `postgres` when we are root. */
  private asOwner(cmd: string, args: string[]) {
    const opts = { cwd: '/', timeoutMs: 120_000 };
    return runningAsRoot()
      ? runCommand('runuser', ['-u', 'postgres', '--', cmd, ...args], opts)
      : runCommand(cmd, args, opts);
  }
}

function runningAsRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

let cachedPostgresUser: { uid: number; gid: number } | undefined;
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  if (cachedPostgresUser) return cachedPostgresUser;
  const uid = Number((await runCommand('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await runCommand('id', ['-g', 'postgres'])).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid <= 0) {
    throw new Error('Running as root, but there is no `postgres` user to own and run a Postgres cluster');
  }
  cachedPostgresUser = { uid, gid };
  return cachedPostgresUser;
}

let cachedBinDir: string | undefined;
/** Directory of initdb/pg_ctl: PG_BIN, else the newest /usr/lib/postgresql/<v>/bin, else pg_config's. */
async function pgBinDir(): Promise<string> {
  if (cachedBinDir !== undefined) return cachedBinDir;
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  try {
    const versions = (await fs.readdir('/usr/lib/postgresql')).filter((v) => /^\d+$/.test(v));
    versions.sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // not a Debian-style install
  }
  if (await commandExists('pg_config')) {
    const r = await runCommand('pg_config', ['--bindir']);
    if (r.code === 0) candidates.push(r.stdout.trim());
  }
  for (const dir of candidates) {
    if (await pathExists(path.join(dir, 'initdb'))) return (cachedBinDir = dir);
  }
  if (await commandExists('initdb')) {
    const r = await runCommand('sh', ['-c', 'dirname "$(command -v initdb)"']);
    return (cachedBinDir = r.stdout.trim());
  }
  throw new Error('Postgres binaries (initdb, pg_ctl) not found; set PG_BIN or install PostgreSQL');
}

/** The Debian-style cluster (pg_ctlcluster) configured for `port`, if there is one. */
async function findSystemCluster(port: number): Promise<{ version: string; name: string } | undefined> {
  if (!(await commandExists('pg_ctlcluster'))) return undefined;
  let versions: string[];
  try {
    versions = await fs.readdir('/etc/postgresql');
  } catch {
    return undefined;
  }
  for (const version of versions.sort().reverse()) {
    let clusters: string[];
    try {
      clusters = await fs.readdir(path.join('/etc/postgresql', version));
    } catch {
      continue;
    }
    for (const name of clusters) {
      const conf = path.join('/etc/postgresql', version, name, 'postgresql.conf');
      try {
        const m = /^\s*port\s*=\s*(\d+)/m.exec(await fs.readFile(conf, 'utf8'));
        if (Number(m ? m[1] : 5432) === port) return { version, name };
      } catch {
        continue;
      }
    }
  }
  return undefined;
}

/** Undefined when `SELECT 1` works, else the reason it does not. */
async function tryConnect(url: string): Promise<string | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  // A server going away mid-probe emits 'error' on the client; without a listener that would crash.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return errorMessage(err) || (err as { code?: string }).code || 'connection failed';
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function tryConnectFor(url: string, timeoutMs: number): Promise<boolean> {
  try {
    await waitForConnect(url, timeoutMs);
    return true;
  } catch {
    return false;
  }
}

async function waitForConnect(url: string, timeoutMs: number): Promise<void> {
  const u = new URL(url);
  await waitUntil(
    async () => {
      const problem = await tryConnect(url);
      if (problem !== undefined) throw new Error(problem);
      return true;
    },
    { timeoutMs, intervalMs: 200, what: `Postgres on ${u.hostname}:${u.port || 5432} to accept connections` },
  );
}
