/**
 * `npm run simulate -- matching [--services N] [--referrals N] [--days N] [--seed N]`: compares
 * matching's policy with "nearest service with a free place" on a synthetic ICS, in memory, and
 * prints a markdown table.
 */
import {
  DEFAULT_SIMULATION,
  runMatchingSimulation,
  type SimulationOptions,
} from '../services/matching/src/simulation/matching-simulation';

const USAGE = 'usage: npm run simulate -- matching [--services N] [--referrals N] [--days N] [--seed N]';

function options(args: string[]): SimulationOptions | null {
  const opts = { ...DEFAULT_SIMULATION };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i].replace(/^--/, '') as keyof SimulationOptions;
    const value = Number(args[i + 1]);
    if (!(key in opts) || !Number.isInteger(value) || value <= 0) return null;
    opts[key] = value;
  }
  return opts;
}

function main(argv: string[]): number {
  const [kind, ...rest] = argv;
  const opts = options(rest);
  if (kind !== 'matching' || !opts) {
    console.error(USAGE);
    return 64;
  }
  const started = Date.now();
  console.log(runMatchingSimulation(opts));
  console.error(`simulated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

process.exit(main(process.argv.slice(2)));
