import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT_PACKAGE_NAME = 'social-prescribing-platform';

function isRepoRoot(dir: string): boolean {
  if (fs.existsSync(path.join(dir, 'nx.json'))) return true;
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
    return pkg.name === ROOT_PACKAGE_NAME;
  } catch {
    return false;
  }
}

/**
 * The monorepo root, found by walking up from this file (so it works from any cwd, compiled or not);
 * falls back to the working directory.
 */
export function findRepoRoot(start: string = __dirname): string {
  let dir = path.resolve(start);
  for (;;) {
    if (isRepoRoot(dir)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}
