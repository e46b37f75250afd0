import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { runCommand, tail } from './support/exec';
import { isLocalHost, isPortOpen, waitForPortClosed } from './support/net';
import { CACHE_DIR, displayPath } from './support/paths';
import { isProcessAlive, readPidFile, readTail } from './support/process-utils';
import { errorMessage, waitUntil } from './support/wait';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** Where the stack keeps the pid file and log of a redis-server it started itself. */
export const STACK_REDIS_DIR = path.join(CACHE_DIR, 'redis');

/** How ensureRedis got a server: it was there, or it started redis-server itself. */
export type RedisProvision =
  | { url: string; startedBy: 'already-running' }
  | { url: string; startedBy: 'redis-server'; pidFile: string; port: number };

/**
 * Undefined when PING answers at `url` (after AUTH when the URL has a password), else the reason it
 * does not. Speaks RESP over a plain socket: a client library would keep reconnect timers alive after
 * a refused connection, delaying the exit of short-lived callers such as `stack status`.
 */
export function pingRedis(url: string, timeoutMs = 1500): Promise<string | undefined> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(u.port || 6379);
  const commands: string[][] = [];
  if (u.password) {
    const pass = decodeURIComponent(u.password);
    commands.push(u.username ? ['AUTH', decodeURIComponent(u.username), pass] : ['AUTH', pass]);
  }
  commands.push(['PING']);
  const payload = commands
    .map((c) => `*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`)
    .join('');
  return new Promise((resolve) => {
    const socket =
      u.protocol === 'rediss:' ? tls.connect({ host, port, servername: host }) : net.connect({ host, port });
    let buffer = '';
    let settled = false;
    const finish = (problem: string | undefined): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => finish(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    socket.once('error', (err) => finish(err.message));
    socket.once('close', () => finish(`connection to ${host}:${port} closed`));
    socket.once(u.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => socket.write(payload));
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const replies = buffer.split('\r\n').slice(0, -1);
      const failed = replies.find((r) => r.startsWith('-'));
      if (failed) return finish(`Redis answered ${failed.slice(1)}`);
      if (replies.length >= commands.length) {
        const last = replies[commands.length - 1];
        finish(last === '+PONG' ? undefined : `unexpected PING reply ${last}`);
      }
    });
  });
}

/**
 * Makes sure Redis answers at `url` (REDIS_URL or the local default). One already listening is used;
 * else, on this machine, a redis-server without persistence is started with its pid file and log
 * under `.cache/redis`.
 */
export async function ensureRedis(
  url?: string,
  opts: {
    log?: (line: string) => void;
    /** Pid file and log dir; `.cache/redis` by default. */ dir?: string;
  } = {},
): Promise<RedisProvision> {
  const target = url ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const log = opts.log ?? (() => undefined);
  const problem = await pingRedis(target);
  if (problem === undefined) return { url: target, startedBy: 'already-running' };
  const u = new URL(target);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 6379);
  if (!isLocalHost(host)) throw new Error(`Redis at ${host}:${port} is not reachable: ${problem}`);
  if (await isPortOpen(host, port)) {
    await waitForPing(target, 15_000);
    return { url: target, startedBy: 'already-running' };
  }
  const dir = opts.dir ?? STACK_REDIS_DIR;
  log(`starting redis-server on port ${port} (no persistence; log in ${displayPath(dir)})`);
  const pidFile = await startRedisServer(port, dir, `redis-${port}`);
  await waitForPing(target, 15_000);
  return { url: target, startedBy: 'redis-server', pidFile, port };
}

/** Stops a redis-server that ensureRedis started (never one that was already running). */
export async function stopProvisionedRedis(p: RedisProvision): Promise<void> {
  if (p.startedBy === 'redis-server') await stopRedisServer(p.pidFile, p.port, 'SIGTERM');
}

/**
 * A disposable redis-server on 127.0.0.1:`port`, keeping nothing on disk. Tests use it to take
 * Redis away from a running service and give it back.
 */
export class TempRedis {
  readonly port: number;
  readonly dir: string;
  private readonly ownsDir: boolean;

  constructor(opts: { port: number; dir?: string }) {
    this.port = opts.port;
    this.ownsDir = opts.dir === undefined;
    this.dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'sp-redis-'));
  }

  get pidFile(): string {
    return path.join(this.dir, `redis-${this.port}.pid`);
  }

  url(db = 0): string {
    return `redis://127.0.0.1:${this.port}/${db}`;
  }

  async start(): Promise<void> {
    if (await this.isRunning()) return;
    await startRedisServer(this.port, this.dir, `redis-${this.port}`);
    await waitForPing(this.url(), 15_000);
  }

  /** SIGTERM shuts down cleanly (nothing to save); SIGKILL is a crash. Waits until the port is closed. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    await stopRedisServer(this.pidFile, this.port, signal);
  }

  async isRunning(): Promise<boolean> {
    const pid = await readPidFile(this.pidFile);
    return pid !== undefined && (await isProcessAlive(pid));
  }

  /** Kills the server and deletes its directory (only a temporary one it created itself). */
  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    if (this.ownsDir) await fs.rm(this.dir, { recursive: true, force: true });
  }
}

async function startRedisServer(port: number, dir: string, name: string): Promise<string> {
  if (await isPortOpen('127.0.0.1', port))
    throw new Error(`Cannot start redis-server: port ${port} is already in use`);
  await fs.mkdir(dir, { recursive: true });
  const pidFile = path.join(dir, `${name}.pid`);
  const logFile = path.join(dir, `${name}.log`);
  await fs.rm(pidFile, { force: true });
  // --daemonize: redis-server detaches (its own session) and writes the pid file itself.
  const args = [
    '--daemonize', 'yes',
    '--bind', '127.0.0.1', '-::1',
    '--port', String(port),
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--logfile', logFile,
    '--pidfile', pidFile,
  ]; // prettier-ignore
  let r;
  try {
    r = await runCommand('redis-server', args, { timeoutMs: 30_000 });
  } catch (err) {
    throw new Error(`Cannot run redis-server (${errorMessage(err)}); install Redis or set REDIS_URL`);
  }
  if (r.code !== 0) {
    throw new Error(
      `redis-server failed to start on port ${port} (exit ${r.code}): ${tail(`${r.stdout}${r.stderr}`.trim(), 10)}\n${await readTail(logFile, 10)}`,
    );
  }
  return pidFile;
}

async function stopRedisServer(pidFile: string, port: number, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const pid = await readPidFile(pidFile);
  if (pid === undefined || !(await isProcessAlive(pid))) return;
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
  await waitUntil(async () => !(await isProcessAlive(pid)), {
    timeoutMs: 15_000,
    intervalMs: 50,
    what: `redis-server (pid ${pid}) to exit`,
  });
  // SIGKILL leaves the pid file behind; a clean shutdown removes it itself.
  await fs.rm(pidFile, { force: true });
  await waitForPortClosed('127.0.0.1', port, 10_000);
}

async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const u = new URL(url);
  await waitUntil(
    async () => {
      const problem = await pingRedis(url, 1000);
      if (problem !== undefined) throw new Error(problem);
      return true;
    },
    { timeoutMs, intervalMs: 100, what: `Redis on ${u.hostname}:${u.port || 6379} to answer PING` },
  );
}
