import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  importSPKI,
  JWK,
  KeyLike,
} from 'jose';

export const DEV_KEY_ALG = 'ES256';
export const DEV_KEY_FILE = 'es256-signing-key.json';

/** The dev signing key: private half for `mintDevToken`, public half for the verifier. */
export interface DevSigningKey {
  kid: string;
  alg: typeof DEV_KEY_ALG;
  privateKey: KeyLike;
  publicKey: KeyLike;
  publicJwk: JWK;
  file: string;
}

interface StoredKey {
  alg: string;
  kid: string;
  privateKeyPem: string;
  publicKeyPem: string;
  createdAt: string;
}

function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as NodeJS.ErrnoException).code : undefined;
}

async function readStored(file: string): Promise<DevSigningKey | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') return null;
    throw err;
  }
  try {
    const stored = JSON.parse(text) as StoredKey;
    if (stored.alg !== DEV_KEY_ALG) throw new Error(`unexpected alg ${stored.alg}`);
    const privateKey = await importPKCS8(stored.privateKeyPem, DEV_KEY_ALG);
    const publicKey = await importSPKI(stored.publicKeyPem, DEV_KEY_ALG);
    const publicJwk = { ...(await exportJWK(publicKey)), kid: stored.kid, alg: DEV_KEY_ALG, use: 'sig' };
    return { kid: stored.kid, alg: DEV_KEY_ALG, privateKey, publicKey, publicJwk, file };
  } catch (err) {
    throw new Error(
      `dev signing key ${file} is unreadable (${(err as Error).message}); delete it to make a new one`,
    );
  }
}

/** Generates a key and publishes it unless the file already exists (exported for tests). */
export async function writeNewDevKey(dir: string): Promise<void> {
  const file = path.join(dir, DEV_KEY_FILE);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = await generateKeyPair(DEV_KEY_ALG, { extractable: true });
  const stored: StoredKey = {
    alg: DEV_KEY_ALG,
    kid: await calculateJwkThumbprint(await exportJWK(publicKey)),
    privateKeyPem: await exportPKCS8(privateKey),
    publicKeyPem: await exportSPKI(publicKey),
    createdAt: new Date().toISOString(),
  };
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600 });
  try {
    // link() publishes the complete file atomically and fails if another process got there first, so
    // every process ends up with the same key (a plain rename would let the last writer win after
    // earlier ones had already started signing with theirs).
    await fs.link(tmp, file);
  } catch (err) {
    if (errno(err) === 'EEXIST') return;
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(errno(err) ?? '')) throw err;
    // File systems without hard links: rename is still atomic, only the no-clobber guarantee is lost.
    if ((await readStored(file)) === null) await fs.rename(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/**
 * Reads the dev key from `dir`, creating it on first use. Safe when several processes start at once:
 * all of them end up reading the one file that won.
 */
export async function readOrCreateDevKey(dir: string): Promise<DevSigningKey> {
  const file = path.join(dir, DEV_KEY_FILE);
  const existing = await readStored(file);
  if (existing) return existing;
  await writeNewDevKey(dir);
  const created = await readStored(file);
  if (!created) throw new Error(`dev signing key ${file} vanished right after it was written`);
  return created;
}

const cache = new Map<string, Promise<DevSigningKey>>();

/** As readOrCreateDevKey, memoised per directory for the life of the process. */
export function loadDevKey(dir: string): Promise<DevSigningKey> {
  const key = path.resolve(dir);
  let pending = cache.get(key);
  if (!pending) {
    pending = readOrCreateDevKey(key);
    // A failure (e.g. unwritable directory) should not be cached for ever.
    pending.catch(() => cache.delete(key));
    cache.set(key, pending);
  }
  return pending;
}

/** Forgets the memoised key and reads the directory again (the key file was replaced under us). */
export function reloadDevKey(dir: string): Promise<DevSigningKey> {
  cache.delete(path.resolve(dir));
  return loadDevKey(dir);
}
