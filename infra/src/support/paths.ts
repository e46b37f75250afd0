import * as path from 'node:path';

/** Root of the monorepo (this file lives in infra/src/support). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** Git-ignored cache for fetched jars, local clusters and the stack's state. */
export const CACHE_DIR = path.join(REPO_ROOT, '.cache');
export const INFRA_DIR = path.join(REPO_ROOT, 'infra');

/** A path shown relative to the repository, for short log lines. */
export function displayPath(p: string): string {
  const rel = path.relative(REPO_ROOT, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}
