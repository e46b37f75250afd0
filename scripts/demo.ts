/**
 * `npm run demo [-- --url http://localhost:3000] [--no-seed]`: loads the demo network into a running
 * platform (what `npm start` does unless DEMO=0): West Yorkshire's ICS, three Leeds PCNs, their
 * practices, the VCSOs and services, the area's postcode districts, and a handful of referrals in
 * varied states. Running it again adds nothing.
 */
import { servicePort } from '@sp/platform';
import { demoSummaryLine, loadDemo } from './demo/demo-loader';
import { PlatformUnreachable } from './traffic/platform-client';

const USAGE = 'usage: npm run demo [-- --url http://localhost:3000] [--no-seed]';

async function main(argv: string[]): Promise<number> {
  let url = `http://localhost:${servicePort('gateway')}`;
  let seed = true;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--url' && argv[i + 1]) url = argv[++i];
    else if (argv[i] === '--no-seed') seed = false;
    else {
      console.error(USAGE);
      return 64;
    }
  }
  try {
    const { network, seeds } = await loadDemo({ url: url.replace(/\/+$/, ''), seed });
    console.log(demoSummaryLine(network, url.replace(/\/+$/, ''), seeds));
    return seeds?.errors ? 1 : 0;
  } catch (err) {
    if (err instanceof PlatformUnreachable) {
      console.error(`demo: nothing answers at ${url}; start the platform first: npm start`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('demo failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
