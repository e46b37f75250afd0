/**
 * `npm start`: brings the local stack up (Kafka, Postgres, Redis), migrates each service's database,
 * runs every service and the gateway under a supervisor that restarts a crashed one, waits until
 * every /health is ready, loads the demo network (unless DEMO=0) and prints the URLs. Ctrl-C stops the
 * services (the stack stays up; use `npm run stack -- down` to stop it).
 */
import { stackUp } from '@sp/infra';
import { SERVICES, servicePort } from '@sp/platform';
import {
  demoSummaryLine,
  loadDemoNetwork,
  seedDemoReferrals,
  seedSummary,
  type DemoNetworkResult,
} from './demo/demo-loader';
import { migrateAll } from './migrate';
import { Supervisor } from './supervisor';

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log('starting the local stack...');
  await stackUp({ quiet: false });
  console.log('migrating databases...');
  await migrateAll();

  const supervisor = new Supervisor(
    SERVICES.map((s) => ({ name: s.name, entry: `services/${s.name}/src/main.ts` })),
  );
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log(`\n${signal}: stopping services...`);
    await supervisor.stop();
    console.log('services stopped (the stack keeps running: npm run stack -- down stops it)');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  supervisor.start();

  await waitUntilReady();
  const gateway = servicePort('gateway');
  const demo = await loadDemoUnlessOff(`http://127.0.0.1:${gateway}`);
  const lines = SERVICES.map((s) => {
    const port = servicePort(s.name);
    return `  ${s.name.padEnd(22)} http://localhost:${port}   (health /health, metrics /metrics, docs /docs)`;
  });
  console.log(
    [
      '',
      `ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      `  console and API        http://localhost:${gateway}/  (API under /api/v1, token: npm run token -- --role pcn_ops --pcn U00001)`,
      ...lines,
      ...(demo ? [demoSummaryLine(demo, `http://localhost:${gateway}`, 'background')] : []),
      'Ctrl-C stops the services.',
      '',
    ].join('\n'),
  );
  // The seeds go through Kafka round trips (consent, assessment, offers): they need not hold up
  // "ready", so they follow it and report on a line of their own.
  if (demo) {
    seedDemoReferrals(demo).then(
      (seeds) => console.log(`demo network: ${seedSummary(seeds)}`),
      (err: unknown) =>
        console.log(`demo network: seeding failed (${err instanceof Error ? err.message : String(err)})`),
    );
  }
}

/**
 * The demo network through the gateway (DEMO=0 skips it). A failure is reported, not fatal: the
 * platform itself is up, and `npm run demo` loads the demo later.
 */
async function loadDemoUnlessOff(url: string): Promise<DemoNetworkResult | undefined> {
  if (process.env.DEMO === '0') return undefined;
  try {
    return await loadDemoNetwork(url);
  } catch (err) {
    console.log(
      `demo network not loaded (${err instanceof Error ? err.message : String(err)}); npm run demo retries`,
    );
    return undefined;
  }
}

async function waitUntilReady(timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(SERVICES.map((s) => s.name));
  while (pending.size) {
    for (const name of [...pending]) {
      try {
        const res = await fetch(`http://127.0.0.1:${servicePort(name)}/health`);
        if (res.ok) pending.delete(name);
      } catch {
        // not listening yet
      }
    }
    if (!pending.size) return;
    if (Date.now() > deadline)
      throw new Error(`not ready after ${timeoutMs / 1000} s: ${[...pending].join(', ')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

main().catch((err: unknown) => {
  console.error('npm start failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
