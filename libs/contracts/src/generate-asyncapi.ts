// Writes libs/contracts/asyncapi.json from the code, or with --check fails when the committed file
// has drifted from it. The only place in the contracts library that touches the file system.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { buildAsyncApi, firstDifference, renderAsyncApi } from './asyncapi';

/** The committed AsyncAPI document. */
export const ASYNCAPI_FILE = resolve(__dirname, '..', 'asyncapi.json');

const FIX = 'run npm run contracts:generate';

function shown(): string {
  return relative(process.cwd(), ASYNCAPI_FILE) || ASYNCAPI_FILE;
}

/**
 * Why the committed asyncapi.json differs from what the code describes, or undefined when it does
 * not. Compares parsed JSON, so reformatting the file is not drift.
 */
export function asyncApiDrift(): string | undefined {
  if (!existsSync(ASYNCAPI_FILE)) return `${shown()} is missing: ${FIX}`;
  let committed: unknown;
  try {
    committed = JSON.parse(readFileSync(ASYNCAPI_FILE, 'utf8'));
  } catch {
    return `${shown()} is not valid JSON: ${FIX}`;
  }
  const diff = firstDifference(buildAsyncApi(), committed);
  return diff ? `${shown()} is out of date (first difference at ${diff}): ${FIX}` : undefined;
}

function main(argv: string[]): number {
  if (argv.includes('--check')) {
    const drift = asyncApiDrift();
    if (drift) {
      console.error(drift);
      return 1;
    }
    console.log(`${shown()} is up to date`);
    return 0;
  }
  writeFileSync(ASYNCAPI_FILE, renderAsyncApi());
  console.log(`wrote ${shown()}`);
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
