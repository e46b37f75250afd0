import { Logger } from '@nestjs/common';
import { waitFor } from '@sp/testing';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PlatformHarness, ROOT } from '../support/platform-harness';
import { FAULTS, FaultInjector } from './support/fault-injector';
import { checkEnds, scanForPersonalData, unsettled, withDb, type EndCheck } from './support/invariant-checks';
import { GROUPS, PlatformMonitor } from './support/platform-monitor';
import {
  DISTRICTS,
  JourneyRunner,
  OfferBoard,
  seedNetwork,
  type JourneyRecord,
  type Network,
} from './support/referral-journeys';
import { RetryingClient } from './support/retrying-client';

/**
 * Issue 7, faults: CHAOS_REFERRALS (5,000) referrals driven through the public API, each to its end
 * (completed, declined then completed, withdrawn, consent declined, did not attend), by clients that
 * retry as real ones do, while the platform is broken under them: the Kafka broker restarted three
 * times, every service SIGKILLed once (the supervisor of `npm start` brings it back), Postgres
 * crashed and restarted, Redis killed and restarted. Then: nothing the API accepted is lost or
 * applied twice, no service went over its limits, nothing identifiable reached a topic or a log line,
 * and every consumer group had caught up within 60 s of the last fault.
 */
const REFERRALS = Number(process.env.CHAOS_REFERRALS ?? 5000);
const CONCURRENCY = Number(process.env.CHAOS_CONCURRENCY ?? 32);
const WITH_FAULTS = process.env.CHAOS_FAULTS !== '0';
const ARTIFACTS = path.join(ROOT, 'e2e', 'artifacts', 'chaos');
/** Lines of the platform's output worth counting: each a recovery path that was taken. */
const NOTABLE: Record<string, RegExp> = {
  'consumer crashes': /consumer crashed/g,
  'stuck partitions': /stuck at committed/g,
  'silent consumers': /no fetch, heartbeat or batch/g,
  'batches handed back': /giving the batch back/g,
  'dead letters': /dead-lettering/g,
  deadlocks: /deadlock detected/g,
  'sweep placements': /sweep offered/g,
};
const progress = (line: string) => process.stderr.write(`[chaos] ${line}\n`);
const secs = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

describe(`chaos: ${REFERRALS} referrals to their end while the platform is broken under them`, () => {
  const harness = new PlatformHarness({
    offset: 500,
    pgPort: 25498,
    kafkaPort: 19498,
    redisPort: 26379,
    env: { RATE_LIMIT_PER_MINUTE: '0' },
  });
  const api = new RetryingClient(harness.gatewayUrl);
  // The coordinators' polling of their pending offers retries too, but is counted apart.
  const boardApi = new RetryingClient(harness.gatewayUrl);
  const monitor = new PlatformMonitor(harness);
  const journeys: JourneyRecord[] = [];
  let network: Network;
  let runner: JourneyRunner;
  let board: OfferBoard;
  let injector: FaultInjector;
  let ends: EndCheck;
  const times: Record<string, number> = {};
  let lagZeroAt: number | undefined;
  let topicMessages: Record<string, number> = {};
  let lastLag: Record<string, number> | undefined;

  beforeAll(async () => {
    // kafkajs speaks through Nest's logger; the monitor's admin client would fill the output during
    // every broker outage. The platform's own logs go to harness.output, untouched.
    Logger.overrideLogger(false);
    times.start = Date.now();
    await harness.start();
    times.ready = Date.now();
    progress(`platform ready in ${secs(harness.startedInMs)}`);
    await importPostcodes();
    network = await seedNetwork(api, { maxActive: Number(process.env.CHAOS_MAX_ACTIVE ?? 8) });
    await waitFor(
      () =>
        withDb(harness, 'sp_matching', async (c) => {
          const { rows } = await c.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM service_profile JOIN service_load USING (service_id)`,
          );
          return rows[0].n === network.services.length;
        }),
      { timeoutMs: 60_000, message: 'matching to know every service' },
    );
    monitor.start();
  }, 400_000);

  afterAll(async () => {
    try {
      // The platform's own output and the figures, for reading after a failed run (git-ignored).
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(path.join(ARTIFACTS, 'platform.log'), harness.output);
      if (times.driveStart && ends) writeFileSync(path.join(ARTIFACTS, 'report.txt'), report());
    } finally {
      await board?.stop();
      await monitor.stop();
      await harness.stop();
      // Hundreds of MB of broker and database files; CHAOS_KEEP_DATA=1 keeps them to look into.
      if (process.env.CHAOS_KEEP_DATA === '1') {
        progress(`data kept: Postgres ${harness.pg.dataDir}, Kafka ${harness.broker.dataDir}`);
      } else {
        await harness.pg.destroy();
        await harness.redis?.destroy();
        await rm(harness.broker.dataDir, { recursive: true, force: true });
      }
    }
  }, 120_000);

  it(`takes every referral to its end through ${FAULTS.length} faults`, async () => {
    board = new OfferBoard(boardApi, network.coordinators, 500);
    board.start();
    let created = 0;
    runner = new JourneyRunner(api, network, board, {
      runId: Date.now().toString(36),
      stepTimeoutMs: 240_000,
      onCreated: () => created++,
    });
    const t0 = Date.now();
    times.driveStart = t0;
    injector = new FaultInjector(harness, monitor, {
      t0,
      total: REFERRALS,
      progress: () => created,
      recoveryTimeoutMs: 120_000,
    });
    if (WITH_FAULTS) injector.start();
    // Which groups hold the lag, largest first: after a fault, whose backlog it is.
    const byGroup = (lag: Record<string, number>) => {
      const held = Object.entries(lag)
        .filter(([, n]) => n > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([g, n]) => `${g} ${n}`);
      return held.length ? ` (${held.join(', ')})` : '';
    };
    const ticker = setInterval(() => {
      const lag = monitor.lagSamples[monitor.lagSamples.length - 1]?.lag;
      progress(
        `${secs(Date.now() - t0)}: ${created} created, ${journeys.length} ended (${journeys.filter((j) => j.error).length} failed), ` +
          `${api.totalRetries} retries, faults ${injector.records.length}/${FAULTS.length}, lag ${lag ? `${monitor.totalLag(lag)}${byGroup(lag)}` : '?'}`,
      );
    }, 15_000);
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REFERRALS) journeys.push(await runner.run(next++));
      }),
    );
    times.journeysEnded = Date.now();
    await injector.done();
    times.faultsEnded = Date.now();
    clearInterval(ticker);
    await board.stop();

    const failed = journeys.filter((j) => j.error);
    for (const j of failed.slice(0, 20)) progress(`journey ${j.i} (${j.path}) failed: ${j.error}`);

    // The journeys have ended at the API; the last event hops may still be on their way. Waits that
    // time out are not fatal here: the checks below then say what is missing.
    await waitFor(async () => (await unsettled(harness, journeys)) === 0, {
      timeoutMs: 180_000,
      intervalMs: 1000,
      message: 'every referral to reach its end status at referral-intake',
    }).catch((err: Error) => progress(err.message));
    times.settled = Date.now();
    await waitFor(
      async () => {
        const lag = await monitor.lag();
        lastLag = lag;
        if (monitor.totalLag(lag) !== 0) return false;
        lagZeroAt = lagZeroAt ?? Date.now();
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 500, message: 'every consumer group to reach lag 0' },
    ).catch(async (err: Error) =>
      progress(`${err.message}: ${JSON.stringify(await monitor.lagByPartition().catch(() => lastLag))}`),
    );
    await monitor.scrapeNow();
    topicMessages = await monitor.messagesOnTopics();
    ends = await checkEnds(harness, journeys);
    times.checked = Date.now();

    expect(failed.map((j) => `${j.i} ${j.path}: ${j.error}`)).toEqual([]);
    expect(journeys.filter((j) => j.referralId)).toHaveLength(REFERRALS);
    if (WITH_FAULTS) {
      expect(injector.records.map((r) => `${r.name}: ${r.error ?? 'ok'}`)).toEqual(
        FAULTS.map((f) => `${f.name}: ok`),
      );
      expect(injector.records.filter((r) => r.recoveryMs === undefined).map((r) => r.name)).toEqual([]);
    }
  }, 1_800_000);

  it('loses no referral the API accepted: each is at its expected end in every service', () => {
    expect(ends.figures.referralRows).toBe(REFERRALS);
    expect(ends.problems.lost).toEqual([]);
  });

  it('applies nothing twice: no duplicate referral, offer, timeline entry or consent decision', () => {
    expect(ends.problems.duplicate).toEqual([]);
  });

  it('never puts a service over its maxActive or weeklyIntake', () => {
    expect(monitor.capacitySamples).toBeGreaterThan(0);
    expect(monitor.overLimit).toEqual([]);
    expect(ends.problems.capacity).toEqual([]);
  });

  it('has every consumer group caught up (lag 0) within 60 s of the last fault', () => {
    expect(lagZeroAt).toBeDefined();
    const from = WITH_FAULTS ? injector.lastFaultAt! : times.journeysEnded;
    expect(lagZeroAt! - from).toBeLessThanOrEqual(60_000);
  });

  it('carries nothing identifiable on any topic or in any log line', async () => {
    const scan = await scanForPersonalData(harness, journeys);
    times.scanned = Date.now();
    progress(
      `privacy scan: ${scan.secrets} personal values of ${journeys.length} referrals searched in ` +
        `${scan.topics} topics and the platform output (${(scan.messagesBytes / 1e6).toFixed(1)} MB)`,
    );
    expect(scan.topics).toBeGreaterThan(0);
    expect(scan.leaks).toEqual([]);
  }, 300_000);

  function report(): string {
    const t0 = times.driveStart;
    const accepted = journeys.filter((j) => j.referralId);
    const byPath = new Map<string, number>();
    for (const j of accepted) byPath.set(j.path, (byPath.get(j.path) ?? 0) + 1);
    const durations = accepted.filter((j) => j.endedAt).map((j) => j.endedAt! - j.startedAt);
    durations.sort((a, b) => a - b);
    const lines = [
      '',
      `chaos run: ${REFERRALS} referrals, ${CONCURRENCY} concurrent clients, ${WITH_FAULTS ? FAULTS.length : 0} faults`,
      `  referrals accepted         ${accepted.length} (${[...byPath].map(([p, n]) => `${p} ${n}`).join(', ')})`,
      `  journeys failed            ${journeys.filter((j) => j.error).length}`,
      `  requests                   ${api.stats.calls} calls, ${api.stats.retriedCalls} retried (${api.totalRetries} retries: ${[
        ...api.stats.retries,
      ]
        .map(([why, n]) => `${why} ${n}`)
        .join(
          ', ',
        )}), ${api.stats.gaveUp} given up; coordinators' offer polls ${boardApi.stats.calls} (${boardApi.totalRetries} retries)`,
      `  absorbed at the API        ${runner.stats.idempotentReplays} POST /referrals replayed by Idempotency-Key, ` +
        `${runner.stats.conflictsAbsorbed} 409s after a retry that had got through, ${runner.stats.propagationWaits} waits for a delayed event`,
      `  absorbed by consumers      ${monitor.counter('duplicate')} duplicate deliveries skipped by inboxes (${Object.entries(
        monitor.counterByService('duplicate'),
      )
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')}); ${monitor.counter('publish-error')} outbox publish attempts failed and were retried`,
      `  problems                   ${ends.counts.lost} lost, ${ends.counts.duplicate} duplicated, ${ends.counts.capacity} over a limit`,
      `  end state                  ${ends.figures.referralRows} referrals, ${ends.figures.offers} offers, ${ends.figures.timelineEntries} timeline entries, ` +
        `${ends.figures.unpublished} unpublished, ${ends.figures.deadLettered} dead-lettered, ${ends.figures.servicesAtWeeklyLimit} services at their weekly limit, ` +
        `${ends.figures.waitlisted} referrals waitlisted for a while`,
      `  platform log               ${Object.entries(NOTABLE)
        .map(([what, re]) => `${(harness.output.match(re) ?? []).length} ${what}`)
        .join(', ')}`,
      `  kafka                      ${Object.values(topicMessages).reduce((a, b) => a + b, 0)} messages (${Object.entries(
        topicMessages,
      )
        .filter(([, n]) => n > 0)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')})`,
      `  capacity                   ${monitor.capacitySamples} samples of every service's load, ${monitor.overLimit.length} over a limit`,
      `  journey time               p50 ${secs(durations[Math.floor(durations.length * 0.5)])}, p99 ${secs(durations[Math.floor(durations.length * 0.99)])}, max ${secs(durations[durations.length - 1])}`,
      `  slowest journeys           ${[...accepted]
        .filter((j) => j.endedAt)
        .sort((a, b) => b.endedAt! - b.startedAt - (a.endedAt! - a.startedAt))
        .slice(0, 3)
        .map((j) => `#${j.i} ${j.path} [${j.steps.map(([n, t]) => `${n} ${secs(t)}`).join(', ')}]`)
        .join('; ')}`,
      '  faults (at, injection, /health ready, lag back to its level before):',
      ...injector.records.map(
        (r) =>
          `    ${secs(r.atMs).padStart(8)}  ${r.name.padEnd(40)} ${secs(r.injectMs).padStart(7)} ${secs(r.readyMs).padStart(8)} ${secs(r.recoveryMs).padStart(8)}${r.error ? `  ERROR ${r.error}` : ''}`,
      ),
      `  consumer groups            ${GROUPS.join(', ')}: lag 0 ${lagZeroAt && injector.lastFaultAt ? `${secs(lagZeroAt - injector.lastFaultAt)} after the last fault` : lagZeroAt ? `${secs(lagZeroAt - times.journeysEnded)} after the last journey` : 'never'}`,
      `  time                       start ${secs(times.ready - times.start)}, journeys ${secs(times.journeysEnded - t0)} ` +
        `(${(accepted.length / ((times.journeysEnded - t0) / 1000)).toFixed(1)} referrals/s), settled ${secs(times.settled - times.journeysEnded)}, ` +
        `checks ${secs(times.checked - times.settled)}, privacy scan ${secs(times.scanned - times.checked)}, total ${secs(times.scanned - times.start)}`,
      '',
    ];
    progress(lines.join('\n'));
    return lines.join('\n');
  }

  /** District centroids through `npm run import -- postcodes`, as an operator loads them. */
  async function importPostcodes(): Promise<void> {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'sp-chaos-')), 'districts.csv');
    writeFileSync(
      file,
      [
        'outcode,latitude,longitude',
        ...Object.entries(DISTRICTS).map(([d, [lat, lon]]) => `${d},${lat},${lon}`),
      ].join('\n') + '\n',
    );
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', 'scripts/import.ts', 'postcodes', file],
      {
        cwd: ROOT,
        env: harness.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`postcode import failed (${code}): ${out}`);
  }
});
