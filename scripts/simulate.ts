/**
 * `npm run simulate [-- traffic] [--url U] [--rate 20/min] [--count N] [--duration 10m] [--seed N]`:
 * realistic, continuous traffic against a running platform (scripts/traffic), with a running summary
 * line and a final table.
 * `npm run simulate -- matching [--services N] [--referrals N] [--days N] [--seed N]`: compares
 * matching's policy with "nearest service with a free place" on a synthetic ICS, in memory, and
 * prints a markdown table.
 */
import { servicePort } from '@sp/platform';
import { writeFileSync } from 'node:fs';
import {
  DEFAULT_SIMULATION,
  runMatchingSimulation,
  type SimulationOptions,
} from '../services/matching/src/simulation/matching-simulation';
import { PlatformUnreachable } from './traffic/platform-client';
import { parseTrafficArgs, TRAFFIC_USAGE, TrafficUsageError } from './traffic/traffic-options';
import { formatReport, TrafficSimulation } from './traffic/traffic-simulation';

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

function matching(rest: string[]): number {
  const opts = options(rest);
  if (!opts) {
    console.error(USAGE);
    return 64;
  }
  const started = Date.now();
  console.log(runMatchingSimulation(opts));
  console.error(`simulated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

async function traffic(args: string[]): Promise<number> {
  let opts;
  try {
    opts = parseTrafficArgs(args, { url: `http://localhost:${servicePort('gateway')}` });
  } catch (err) {
    if (!(err instanceof TrafficUsageError)) throw err;
    console.error(`simulate: ${err.message}\n${TRAFFIC_USAGE}`);
    return 64;
  }
  const tty = process.stderr.isTTY;
  const sim = new TrafficSimulation({
    ...opts,
    adopt: true,
    // On a terminal the line rewrites itself; in a log, one line every ten seconds.
    progressEveryMs: tty ? 1000 : 10_000,
    progress: (line) => process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`),
  });
  let network;
  try {
    network = await sim.discover();
  } catch (err) {
    if (err instanceof PlatformUnreachable) {
      console.error(`simulate: nothing answers at ${opts.url}; start the platform first: npm start`);
      return 2;
    }
    console.error(`simulate: ${(err as Error).message}`);
    return 1;
  }
  const until =
    opts.count !== undefined
      ? `${opts.count} referrals`
      : opts.durationMs !== undefined
        ? `${opts.durationMs / 1000} s`
        : 'Ctrl-C';
  console.error(
    `simulating ${(opts.ratePerSec * 60).toFixed(1)} referrals/min from ${network.pcns.join(', ')} ` +
      `(${network.services} services) against ${opts.url} until ${until}; seed ${opts.seed}`,
  );
  const onSignal = () => {
    process.stderr.write('\nstopping: journeys under way finish (Ctrl-C again stops at once)\n');
    sim.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const report = await sim.run();
  // The last word of the running line, whatever the interval left unsaid.
  process.stderr.write(tty ? `\r\x1b[2K${sim.summaryLine()}\n` : `${sim.summaryLine()}\n`);
  console.log(formatReport(report));
  if (opts.reportFile) writeFileSync(opts.reportFile, `${JSON.stringify(report, null, 2)}\n`);
  return report.stats.errors > 0 ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind === 'matching') return matching(rest);
  if (kind === undefined || kind.startsWith('--')) return traffic(argv);
  if (kind === 'traffic') return traffic(rest);
  console.error(`${TRAFFIC_USAGE}`);
  return 64;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('simulate failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
