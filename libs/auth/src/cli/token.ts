// Prints a signed dev JWT: `npm run token -- --role link_worker --pcn U00001`. Only the token goes to
// stdout, so `TOKEN=$(npm run -s token -- ...)` works; problems go to stderr with exit code 2.
import { resolveAuthConfig } from '../auth-config';
import { mintDevToken } from '../dev-token';
import { parseTokenArgs, TOKEN_USAGE, UsageError } from './token-args';

async function main(argv: string[]): Promise<number> {
  let request: ReturnType<typeof parseTokenArgs>;
  try {
    request = parseTokenArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`token: ${err.message}\n${TOKEN_USAGE}\n`);
    return 2;
  }
  if (request === 'help') {
    process.stdout.write(`${TOKEN_USAGE}\n`);
    return 0;
  }
  let config;
  try {
    config = resolveAuthConfig();
  } catch (err) {
    process.stderr.write(`token: ${(err as Error).message}\n`);
    return 2;
  }
  if (config.mode !== 'dev') {
    process.stderr.write(`token: AUTH_MODE is ${config.mode}; dev tokens are only for AUTH_MODE=dev\n`);
    return 2;
  }
  const token = await mintDevToken(request.claims, { expiresIn: request.expiresIn, config });
  process.stdout.write(`${token}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`token: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
