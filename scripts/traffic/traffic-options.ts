/** `npm run simulate [-- traffic] [--url U] [--rate R] [--count N] [--duration D] [--seed S] [--pace F] [--pcn U60101]`. */
export interface TrafficOptions {
  /** The gateway: `http://localhost:3000` by default (with SP_PORT_OFFSET applied). */
  url: string;
  /** New referrals per second (a Poisson stream at this mean rate). */
  ratePerSec: number;
  /** Stop creating after this many referrals, then let the journeys already under way finish. */
  count?: number;
  /** Stop creating after this long (ms). */
  durationMs?: number;
  seed: number;
  /** Multiplies every think time (0 = as fast as the platform answers; 1 = seconds between steps). */
  pace: number;
  /** Only these PCNs' practices refer (default: the demo network's PCNs). */
  pcns?: string[];
  /** How often a coordinator pauses, resumes or changes a service (ms; 0 = never). */
  capacityEveryMs: number;
  /** After creation stops, how long to wait for journeys under way (ms). */
  drainMs: number;
  /** Also write the final report as JSON to this file (for scripts and tests). */
  reportFile?: string;
}

export const TRAFFIC_USAGE = [
  'usage: npm run simulate [-- traffic] [--url http://localhost:3000] [--rate 20/min|2/s] [--count N]',
  '                        [--duration 90s|10m|1h] [--seed N] [--pace 1] [--pcn U60101[,U60102]]',
  '                        [--capacity-every 15s|0] [--drain 60s] [--report FILE.json]',
  '       npm run simulate -- matching [--services N] [--referrals N] [--days N] [--seed N]',
].join('\n');

export class TrafficUsageError extends Error {
  override readonly name = 'TrafficUsageError';
}

/** `20`, `20/min`, `2/s`, `0.5/sec`: referrals per second. A bare number is per minute. */
export function parseRate(input: string): number {
  const m = /^(\d+(?:\.\d+)?)(?:\/(s|sec|second|m|min|minute))?$/.exec(input.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || !(n > 0))
    throw new TrafficUsageError(
      `--rate ${input}: give referrals per minute (20, 20/min) or per second (2/s)`,
    );
  return m[2] && m[2].startsWith('s') ? n : n / 60;
}

/** `90`, `90s`, `10m`, `1h`: milliseconds. A bare number is seconds. */
export function parseDuration(input: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(input.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || !(n > 0)) throw new TrafficUsageError(`--duration ${input}: give a time such as 90s, 10m or 1h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000;
  return n * unit;
}

function wholeNumber(flag: string, input: string | undefined, min = 1): number {
  const n = Number(input);
  if (input === undefined || !Number.isInteger(n) || n < min)
    throw new TrafficUsageError(`${flag} needs a whole number${min > 0 ? ` of at least ${min}` : ''}`);
  return n;
}

function nonNegative(flag: string, input: string | undefined): number {
  const n = Number(input);
  if (input === undefined || input.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new TrafficUsageError(`${flag} needs a number of 0 or more`);
  return n;
}

export function parseTrafficArgs(argv: string[], defaults: { url: string }): TrafficOptions {
  const opts: TrafficOptions = {
    url: defaults.url,
    ratePerSec: 20 / 60,
    seed: Date.now() % 100_000,
    pace: 1,
    capacityEveryMs: 15_000,
    drainMs: 60_000,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const need = () => {
      if (value === undefined || value.startsWith('--')) throw new TrafficUsageError(`${flag} needs a value`);
      i++;
      return value;
    };
    switch (flag) {
      case '--url':
        opts.url = need();
        if (!/^https?:\/\//.test(opts.url))
          throw new TrafficUsageError('--url must start with http:// or https://');
        break;
      case '--rate':
        opts.ratePerSec = parseRate(need());
        break;
      case '--count':
        opts.count = wholeNumber('--count', need());
        break;
      case '--duration':
        opts.durationMs = parseDuration(need());
        break;
      case '--seed':
        opts.seed = wholeNumber('--seed', need(), 0);
        break;
      case '--pace':
        opts.pace = nonNegative('--pace', need());
        break;
      case '--pcn': {
        const codes = need()
          .split(',')
          .map((c) => c.trim().toUpperCase())
          .filter(Boolean);
        if (!codes.length || codes.some((c) => !/^U\d{5}$/.test(c)))
          throw new TrafficUsageError('--pcn needs PCN codes such as U60101 (comma-separated)');
        opts.pcns = codes;
        break;
      }
      case '--capacity-every': {
        const every = need();
        opts.capacityEveryMs = every === '0' ? 0 : parseDuration(every);
        break;
      }
      case '--drain':
        opts.drainMs = parseDuration(need());
        break;
      case '--report':
        opts.reportFile = need();
        break;
      default:
        throw new TrafficUsageError(`unknown option ${flag}`);
    }
  }
  return opts;
}
