import { parseArgs } from 'node:util';
import { AuthClaims, InvalidClaimsError, validateClaims } from '../claims';
import { isTimeSpan } from '../dev-token';
import { isRole, REQUIRED_SCOPE_CLAIMS, ROLES } from '../roles';

/** A bad command line; `flag` names the offending option. */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  constructor(
    readonly flag: string,
    reason: string,
  ) {
    super(`${flag}: ${reason}`);
  }
}

export interface TokenRequest {
  claims: AuthClaims;
  expiresIn: string;
}

export const TOKEN_USAGE = `usage: npm run token -- --role ROLE [--pcn U00001] [--practice P00001] [--org ORG_ID] [--ics QXX] [--sub ID] [--expires 12h]
roles and the scope flags each needs:
${ROLES.map((r) => `  ${r.padEnd(17)} ${REQUIRED_SCOPE_CLAIMS[r].map((c) => `--${c}`).join(' ') || '(none)'}`).join('\n')}`;

/** Parses the token CLI's arguments into claims the verifier will accept, or throws UsageError. */
export function parseTokenArgs(argv: readonly string[]): TokenRequest | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        role: { type: 'string' },
        pcn: { type: 'string' },
        practice: { type: 'string' },
        org: { type: 'string' },
        ics: { type: 'string' },
        sub: { type: 'string' },
        scope: { type: 'string' },
        expires: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    const message = (err as Error).message;
    const flag = /'(--?[^' ]+)/.exec(message)?.[1] ?? 'arguments';
    throw new UsageError(flag, message);
  }
  if (values.help) return 'help';

  const str = (name: string): string | undefined => {
    const v = values[name];
    return typeof v === 'string' ? v : undefined;
  };
  const role = str('role');
  if (!role) throw new UsageError('--role', `is required (one of ${ROLES.join(', ')})`);
  if (!isRole(role)) throw new UsageError('--role', `unknown role '${role}' (one of ${ROLES.join(', ')})`);
  const expiresIn = str('expires') ?? '12h';
  if (!isTimeSpan(expiresIn))
    throw new UsageError('--expires', `'${expiresIn}' is not a time span like 12h, 30m or 7d`);

  try {
    const claims = validateClaims({
      sub: str('sub') ?? `dev-${role.replace(/_/g, '-')}`,
      role,
      practice: str('practice'),
      pcn: str('pcn'),
      org: str('org'),
      ics: str('ics'),
      scope: str('scope'),
    });
    return { claims, expiresIn };
  } catch (err) {
    if (err instanceof InvalidClaimsError) throw new UsageError(`--${err.claim}`, err.reason);
    throw err;
  }
}
