import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isProcessAlive } from './process-utils';
import { sleep } from './wait';

export interface FileLockOptions {
  /** How long to wait for another holder before giving up. */
  timeoutMs?: number;
  /** A lock older than this is taken over even if its owner still seems alive (pid reuse, hung owner). */
  staleMs?: number;
  /** Called once when the lock is found held by someone else. */
  onWait?: (owner: string) => void;
}

interface LockOwner {
  pid: number;
  host: string;
  since: number;
}

/**
 * Runs `fn` while holding a cross-process lock: a directory created with mkdir, which is atomic.
 * A lock left behind by a dead process (same host) or older than `staleMs` is taken over, so a
 * crashed run never blocks the next one for long.
 */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  opts: FileLockOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 5 * 60_000;
  const staleMs = opts.staleMs ?? 10 * 60_000;
  const deadline = Date.now() + timeoutMs;
  let reportedWait = false;
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  for (;;) {
    try {
      await fs.mkdir(lockPath);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readOwner(lockPath);
    const stale =
      owner === undefined
        ? await olderThan(lockPath, 5_000) // owner file not written yet, or written by a crashed process
        : Date.now() - owner.since > staleMs ||
          (owner.host === os.hostname() && !(await isProcessAlive(owner.pid)));
    if (stale) {
      await fs.rm(lockPath, { recursive: true, force: true });
      continue;
    }
    if (!reportedWait && opts.onWait) {
      reportedWait = true;
      opts.onWait(owner ? `pid ${owner.pid}` : 'another process');
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)}s waiting for lock ${lockPath}`);
    }
    await sleep(100);
  }
  const me: LockOwner = { pid: process.pid, host: os.hostname(), since: Date.now() };
  await fs.writeFile(path.join(lockPath, 'owner.json'), JSON.stringify(me));
  try {
    return await fn();
  } finally {
    await fs.rm(lockPath, { recursive: true, force: true });
  }
}

async function readOwner(lockPath: string): Promise<LockOwner | undefined> {
  try {
    const parsed = JSON.parse(
      await fs.readFile(path.join(lockPath, 'owner.json'), 'utf8'),
    ) as Partial<LockOwner>;
    if (
      typeof parsed.pid === 'number' &&
      typeof parsed.host === 'string' &&
      typeof parsed.since === 'number'
    ) {
      return { pid: parsed.pid, host: parsed.host, since: parsed.since };
    }
  } catch {
    // missing or half-written: treated by the caller as "owner unknown"
  }
  return undefined;
}

async function olderThan(p: string, ms: number): Promise<boolean> {
  try {
    const st = await fs.stat(p);
    return Date.now() - st.mtimeMs > ms;
  } catch {
    return false;
  }
}
