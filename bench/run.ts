/**
 * `npm run bench`: the platform against the machine's own limits, in one run.
 *   1. Baselines: raw kafkajs produce+consume msgs/s; raw Postgres single-row insert tx/s (pool 10).
 *   2. The platform, started on shifted ports with databases of its own, driven through its public API
 *      (referral, consent, assessment with autoOffer) until offer.made: first a steady 25 referrals/s,
 *      then as fast as it sustains. Latency per stage, Postgres transactions and Kafka messages per
 *      referral, peak resident memory per service.
 * Prints a table and writes bench/results/latest.json. A benchmark, not a test: it asserts nothing.
 */
import { mintDevToken } from '@sp/auth';
import { stackUp } from '@sp/infra';
import { collectEvents, sleep, startConsumerGroupAtEnd } from '@sp/messaging';
import { SERVICES } from '@sp/platform';
import { NhsNumber } from '@sp/domain';
import { percentile } from '@sp/testing';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { Supervisor } from '../scripts/supervisor';
import { kafkaBaseline, postgresBaseline, postgresRoundTrip } from './baselines';
import { processStats } from './proc';

const OFFSET = Number(process.env.BENCH_PORT_OFFSET ?? 700);
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 25);
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 40);
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 40);
const MAX_CONCURRENCY = Number(process.env.BENCH_MAX_CONCURRENCY ?? 48);
const IMPORT_ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 20_000);
/** `BENCH_PHASES=import` (or `steady,max`) runs only those phases; the default runs all three. */
const PHASES = new Set((process.env.BENCH_PHASES ?? 'steady,max,import').split(',').map((s) => s.trim()));
const PG_SERVER = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PCN = 'U09001';
const PRACTICE = 'P09001';
const url = (service: string, p: string) =>
  `http://127.0.0.1:${SERVICES.find((s) => s.name === service)!.port + OFFSET}${p}`;
const TOPICS = [
  'sp.referral.events.v1',
  'sp.consent.events.v1',
  'sp.matching.events.v1',
  'sp.capacity.events.v1',
  'sp.analytics.events.v1',
];
const RESULTS = path.join(__dirname, 'results');
mkdirSync(RESULTS, { recursive: true });
const dbName = (service: string) => `sp_bench_${service.replace(/-/g, '_')}`;

interface Timing {
  intakeMs: number;
  consentMs: number;
  assessMs: number;
  offerMs?: number;
  endToEndMs?: number;
}

async function main() {
  const stack = await stackUp({ quiet: true });
  console.log('baselines...');
  const kafkaMsgsPerSec = await kafkaBaseline(stack.kafkaBrokers);
  const pgTxPerSec = await postgresBaseline(PG_SERVER, Number(process.env.DB_POOL_SIZE ?? 10));
  const roundTrip = await postgresRoundTrip(PG_SERVER);
  console.log(
    `  kafka ${kafkaMsgsPerSec.toFixed(0)} msgs/s, postgres ${pgTxPerSec.toFixed(0)} tx/s, ` +
      `a round trip ${roundTrip.node.toFixed(0)} µs node + ${roundTrip.postgres.toFixed(0)} µs postgres CPU`,
  );

  await resetDatabases();
  const env = Object.fromEntries(
    SERVICES.filter((s) => s.database).map((s) => [
      `${s.name.toUpperCase().replace(/-/g, '_')}_DATABASE_URL`,
      withDb(PG_SERVER, dbName(s.name)),
    ]),
  );
  // Fresh databases, so each service's consumer group starts at the topics' current ends.
  const groups = Object.fromEntries(SERVICES.map((s) => [s.name, `bench-${s.name}-${Date.now()}`]));
  for (const group of Object.values(groups)) await startConsumerGroupAtEnd(group, TOPICS, 'bench');
  const supervisor = new Supervisor(
    SERVICES.map((s) => ({
      name: s.name,
      entry: `services/${s.name}/src/main.ts`,
      env: {
        ...env,
        SP_PORT_OFFSET: String(OFFSET),
        SP_CONSUMER_GROUP: groups[s.name],
        SP_QUEUE_PREFIX: 'bench',
        // The bench is one client sending as fast as the platform takes: per-token limits would cap it.
        RATE_LIMIT_PER_MINUTE: '0',
      },
      // BENCH_CPU_PROF=1: each service writes a V8 CPU profile to bench/results/profiles at exit.
      nodeArgs: process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${path.join(RESULTS, 'profiles', s.name)}`]
        : [],
    })),
    createWriteStream(path.join(RESULTS, 'platform.log')),
  );
  supervisor.start();
  try {
    await waitReady();
    const tokens = await seed();
    const offers = await collectEvents('sp.matching.events.v1', 'bench');
    const offeredAt = new Map<string, number>();
    const timer = setInterval(() => {
      for (const e of offers.events.splice(0)) {
        if (e.type === 'offer.made.v1')
          offeredAt.set((e.data as { referralId: string }).referralId, Date.now());
      }
    }, 5);

    const memory = new Map<string, number>();
    const sampleMemory = setInterval(() => sampleRss(supervisor.pids(), memory), 1000);

    const skipped = { started: 0, offered: 0, seconds: 1, timings: [] };
    const cpu: Record<string, ReturnType<typeof cpuSplit>> = {};
    const measured = async <T>(phase: string, run: () => Promise<T>): Promise<T> => {
      // One set of pids at both ends: a service restarted within the phase is gone from /proc by the
      // end, so it counts as unknown rather than as its new process's CPU minus its old one's.
      const pids = supervisor.pids();
      const [c0, t0] = [cpuSeconds(pids), Date.now()];
      const out = await run();
      cpu[phase] = cpuSplit(c0, cpuSeconds(pids), (Date.now() - t0) / 1000);
      return out;
    };
    let steady: Awaited<ReturnType<typeof runPhase>> = skipped;
    if (PHASES.has('steady')) {
      console.log(`steady: ${STEADY_RATE} referrals/s for ${STEADY_SECONDS} s...`);
      steady = await measured('steady', () =>
        runPhase(tokens, offeredAt, { rate: STEADY_RATE, seconds: STEADY_SECONDS }),
      );
    }
    const before = await counters(stack.kafkaBrokers);
    let max: Awaited<ReturnType<typeof runPhase>> = skipped;
    if (PHASES.has('max')) {
      console.log(`max: ${MAX_CONCURRENCY} concurrent flows for ${MAX_SECONDS} s...`);
      max = await measured('max', () =>
        runPhase(tokens, offeredAt, { concurrency: MAX_CONCURRENCY, seconds: MAX_SECONDS }),
      );
    }
    const after = await counters(stack.kafkaBrokers);
    clearInterval(timer);
    await offers.stop();
    let imported: Awaited<ReturnType<typeof importPhase>> | null = null;
    if (PHASES.has('import')) {
      console.log(`import: ${IMPORT_ROWS} rows through POST /referrals/import...`);
      // The phase's CPU runs until the import has settled: intake's answer comes while the other
      // services are still taking in the events it published.
      imported = await measured('import', async () => {
        const accepted = await importPhase(tokens.linkWorker);
        const settle = await settled(Object.values(groups), stack.kafkaBrokers);
        const total = accepted.seconds + settle / 1000;
        return {
          ...accepted,
          settledSeconds: round(total, 2),
          settledRowsPerSec: round(accepted.created / total),
        };
      });
    }
    clearInterval(sampleMemory);

    const maxRate = max.offered / max.seconds;
    const pgTxPerReferral = (after.pgTx - before.pgTx) / Math.max(1, max.started);
    const kafkaMsgsPerReferral = (after.kafkaMsgs - before.kafkaMsgs) / Math.max(1, max.started);
    const statementsPerReferral = Object.fromEntries(
      Object.keys(after.statements).map((k) => [
        k,
        round((after.statements[k] - before.statements[k]) / Math.max(1, max.started)),
      ]),
    );
    const result = {
      baseline: {
        kafkaMsgsPerSec: round(kafkaMsgsPerSec),
        pgTxPerSec: round(pgTxPerSec),
        // CPU µs of one prepared statement's round trip: this process's (of it the kernel's) and Postgres's.
        pgRoundTripCpuUs: {
          node: round(roundTrip.node),
          kernel: round(roundTrip.kernel),
          postgres: round(roundTrip.postgres),
        },
      },
      steady: {
        rate: STEADY_RATE,
        referrals: steady.started,
        offered: steady.offered,
        intakeP50Ms: p(
          steady.timings.map((t) => t.intakeMs),
          50,
        ),
        intakeP95Ms: p(
          steady.timings.map((t) => t.intakeMs),
          95,
        ),
        intakeP99Ms: p(
          steady.timings.map((t) => t.intakeMs),
          99,
        ),
        consentP99Ms: p(
          steady.timings.map((t) => t.consentMs),
          99,
        ),
        assessmentP99Ms: p(
          steady.timings.map((t) => t.assessMs),
          99,
        ),
        assessmentToOfferP50Ms: p(
          offered(steady.timings).map((t) => t.offerMs!),
          50,
        ),
        assessmentToOfferP95Ms: p(
          offered(steady.timings).map((t) => t.offerMs!),
          95,
        ),
        assessmentToOfferP99Ms: p(
          offered(steady.timings).map((t) => t.offerMs!),
          99,
        ),
        endToEndP50Ms: p(
          offered(steady.timings).map((t) => t.endToEndMs!),
          50,
        ),
        endToEndP99Ms: p(
          offered(steady.timings).map((t) => t.endToEndMs!),
          99,
        ),
      },
      max: {
        concurrency: MAX_CONCURRENCY,
        referralsPerSec: round(maxRate),
        referrals: max.started,
        offered: max.offered,
        endToEndP50Ms: p(
          offered(max.timings).map((t) => t.endToEndMs!),
          50,
        ),
        endToEndP99Ms: p(
          offered(max.timings).map((t) => t.endToEndMs!),
          99,
        ),
        pgTxPerReferral: round(pgTxPerReferral),
        pgStatementsPerReferral: round(Object.values(statementsPerReferral).reduce((a, b) => a + b, 0)),
        pgStatementsPerReferralByService: statementsPerReferral,
        // What those statements cost at the bare round trip's price, client and server: a floor.
        pgRoundTripCoreMsPerReferral: round(
          (Object.values(statementsPerReferral).reduce((a, b) => a + b, 0) *
            (roundTrip.node + roundTrip.postgres)) /
            1000,
        ),
        kafkaMsgsPerReferral: round(kafkaMsgsPerReferral),
      },
      ratios: { dbNormalised: round((maxRate * pgTxPerReferral) / pgTxPerSec, 3) },
      import: imported,
      cpu,
      memory: {
        maxRssMbPerService: Math.max(...memory.values()),
        perService: Object.fromEntries(memory),
      },
      machine: {
        cores: os.cpus().length,
        memoryGb: round(os.totalmem() / 2 ** 30, 1),
        node: process.version,
        kafka: kafkaVersion(),
        date: new Date().toISOString(),
      },
    };
    // Only a full run replaces the figures the README quotes; a partial one goes beside them.
    const file = PHASES.size === 3 ? 'latest.json' : `partial-${[...PHASES].join('-')}.json`;
    writeFileSync(path.join(RESULTS, file), JSON.stringify(result, null, 2) + '\n');
    printTable(result);
    for (const [phase, c] of Object.entries(cpu)) {
      const each = Object.entries(c.perService).map(([k, v]) => `${k} ${v}`);
      console.log(
        `cpu ${phase}: ${c.machineCpuSeconds} of ${round(c.seconds * os.cpus().length, 1)} core-seconds used; ` +
          `services ${c.servicesCpuSeconds} (${each.join(', ')}), Postgres+Kafka+Redis ${c.infraCpuSeconds} ` +
          `(${Object.entries(c.infra)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}), ` +
          `bench client ${c.benchClientCpuSeconds}`,
      );
    }
    for (const [what, n] of failures) console.log(`failed: ${n} x ${what}`);
  } finally {
    await supervisor.stop();
  }
}

async function runPhase(
  tokens: Awaited<ReturnType<typeof seed>>,
  offeredAt: Map<string, number>,
  opts: { rate?: number; concurrency?: number; seconds: number },
) {
  const timings: (Timing & { id: string; assessedAt: number; startedAt: number })[] = [];
  const deadline = Date.now() + opts.seconds * 1000;
  const flows: Promise<void>[] = [];
  const one = async () => {
    const startedAt = Date.now();
    const t = await flow(tokens);
    if (t) timings.push({ ...t.timing, id: t.id, assessedAt: t.assessedAt, startedAt });
  };
  if (opts.rate) {
    for (let i = 0; Date.now() < deadline; i++) {
      flows.push(one());
      const next = deadline - opts.seconds * 1000 + ((i + 1) * 1000) / opts.rate;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
  } else {
    for (let w = 0; w < (opts.concurrency ?? 1); w++) {
      flows.push(
        (async () => {
          while (Date.now() < deadline) await one();
        })(),
      );
    }
  }
  await Promise.all(flows);
  const waitUntil = Date.now() + 30_000;
  while (timings.some((t) => !offeredAt.has(t.id)) && Date.now() < waitUntil)
    await new Promise((r) => setTimeout(r, 100));
  for (const t of timings) {
    const at = offeredAt.get(t.id);
    if (at) {
      t.offerMs = at - t.assessedAt;
      t.endToEndMs = at - t.startedAt;
    }
  }
  return {
    started: timings.length,
    offered: timings.filter((t) => t.offerMs !== undefined).length,
    seconds: opts.seconds,
    timings,
  };
}

/**
 * Bulk import as `npm run import -- referrals` sends it: one streamed NDJSON request of fresh people,
 * timed from the first byte sent to the summary line.
 */
async function importPhase(token: string) {
  const lines: string[] = [];
  for (let i = 0; i < IMPORT_ROWS; i++) {
    lines.push(
      JSON.stringify({
        externalId: `bench-${Date.now()}-${i}`,
        pcnCode: PCN,
        practiceCode: PRACTICE,
        referrer: { name: 'Dr Bench', role: 'GP' },
        patient: {
          nhsNumber: NhsNumber.generateTestNumber().value,
          givenName: 'Bench',
          familyName: `Importee-${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + (((i / 26) % 26) | 0))}`,
          birthDate: '1950-01-01',
          postcode: 'LS6 2AB',
        },
        needs: ['loneliness', 'nature'],
      }),
    );
  }
  const t0 = Date.now();
  const res = await fetch(url('gateway', '/api/v1/referrals/import'), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    body: lines.join('\n') + '\n',
  });
  const text = await res.text();
  const seconds = (Date.now() - t0) / 1000;
  const last = text.trim().split('\n').pop() ?? '{}';
  const summary = (JSON.parse(last) as { summary?: { created: number; refused: number } }).summary;
  if (!res.ok || !summary) throw new Error(`import: ${res.status} ${last.slice(0, 300)}`);
  if (summary.refused) {
    const first = text.split('\n').find((l) => l.includes('"refused"')) ?? '';
    console.log(`  import refused ${summary.refused} rows, e.g. ${first.slice(0, 300)}`);
  }
  return {
    rows: IMPORT_ROWS,
    created: summary.created,
    seconds: round(seconds, 2),
    rowsPerSec: round(summary.created / seconds),
  };
}

/**
 * Milliseconds until the platform has taken in everything it was given: every service's outbox sent
 * (read from the benchmark's databases) and every consumer group's committed offsets at the ends of
 * the partitions assigned to it (from the group's own member assignments, so a topic a service does not
 * read never counts as lag). Committed offsets trail by up to CONSUMER_COMMIT_INTERVAL_MS (1 s).
 */
async function settled(groups: string[], brokers: string[], timeoutMs = 600_000): Promise<number> {
  const t0 = Date.now();
  const admin = new Kafka({ clientId: 'bench-settled', brokers, logLevel: logLevel.NOTHING }).admin();
  const dbs = SERVICES.filter((x) => x.database).map(
    (x) => new Client({ connectionString: withDb(PG_SERVER, dbName(x.name)) }),
  );
  await Promise.all([admin.connect(), ...dbs.map((c) => c.connect())]);
  try {
    for (;;) {
      let unsent = 0;
      for (const db of dbs) {
        const { rows } = await db.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`);
        unsent += (rows[0] as { n: number }).n;
      }
      let lag = 0;
      // Each topic's ends asked once a pass, whichever groups read it.
      const ends = new Map<string, Promise<Map<number, { high: string; low: string }>>>();
      const endsOf = (topic: string) => {
        let e = ends.get(topic);
        if (!e) {
          e = admin.fetchTopicOffsets(topic).then((o) => new Map(o.map((x) => [x.partition, x] as const)));
          ends.set(topic, e);
        }
        return e;
      };
      const { groups: described } = await admin.describeGroups(groups);
      for (const g of described) {
        const topics = new Set<string>();
        for (const m of g.members) {
          const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
          for (const t of Object.keys(a?.assignment ?? {})) topics.add(t);
        }
        if (topics.size === 0) continue;
        for (const t of await admin.fetchOffsets({ groupId: g.groupId, topics: [...topics] })) {
          const topicEnds = await endsOf(t.topic);
          for (const p of t.partitions) {
            const end = topicEnds.get(p.partition);
            if (!end) continue;
            const at = Number(p.offset) >= 0 ? Number(p.offset) : Number(end.low);
            lag += Math.max(0, Number(end.high) - at);
          }
        }
      }
      if (unsent === 0 && lag === 0) return Date.now() - t0;
      if (Date.now() - t0 > timeoutMs)
        throw new Error(
          `the import had not settled after ${timeoutMs / 1000} s: lag ${lag}, unsent ${unsent}`,
        );
      await sleep(250);
    }
  } finally {
    await Promise.all([admin.disconnect(), ...dbs.map((c) => c.end())]);
  }
}

async function flow(tokens: Awaited<ReturnType<typeof seed>>) {
  const headers = { authorization: `Bearer ${tokens.linkWorker}`, 'content-type': 'application/json' };
  const t0 = Date.now();
  const referral = await fetch(url('gateway', '/api/v1/referrals'), {
    method: 'POST',
    headers,
    body: JSON.stringify({
      pcnCode: PCN,
      practiceCode: PRACTICE,
      referrer: { name: 'Dr Bench', role: 'GP' },
      patient: {
        nhsNumber: NhsNumber.generateTestNumber(),
        givenName: 'Bench',
        familyName: 'Person',
        birthDate: '1960-05-01',
        postcode: 'LS6 2AB',
      },
      needs: ['loneliness'],
    }),
  });
  const t1 = Date.now();
  if (referral.status !== 201) return failed('referral', referral);
  const { id } = (await referral.json()) as { id: string };
  const consent = await fetch(url('gateway', '/api/v1/consents'), {
    method: 'POST',
    headers,
    body: JSON.stringify({ referralId: id, decision: 'granted', method: 'verbal', shareWithVcso: true }),
  });
  const t2 = Date.now();
  if (consent.status !== 201) return failed('consent', consent);
  const assessed = await fetch(url('gateway', `/api/v1/referrals/${id}/assessment`), {
    method: 'POST',
    headers,
    body: JSON.stringify({ needs: ['loneliness'], autoOffer: true }),
  });
  const t3 = Date.now();
  if (!assessed.ok) return failed('assessment', assessed);
  return {
    id,
    assessedAt: t3,
    timing: { intakeMs: t1 - t0, consentMs: t2 - t1, assessMs: t3 - t2 } as Timing,
  };
}

const failures = new Map<string, number>();
async function failed(stage: string, res: Response): Promise<undefined> {
  const key = `${stage} ${res.status} ${((await res.json().catch(() => ({}))) as { detail?: string }).detail ?? ''}`;
  failures.set(key, (failures.get(key) ?? 0) + 1);
  return undefined;
}

async function seed() {
  const admin = await mintDevToken({ sub: 'bench-admin', role: 'admin' });
  const ops = await mintDevToken({ sub: 'bench-ops', role: 'pcn_ops', pcn: PCN });
  const linkWorker = await mintDevToken({ sub: 'bench-lw', role: 'link_worker', pcn: PCN });
  const post = async (p: string, token: string, body: unknown) => {
    const res = await fetch(url('gateway', p), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`seed ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  await post('/api/v1/pcns', admin, {
    code: PCN,
    name: 'Bench PCN',
    icsCode: 'QBE',
    practices: [{ code: PRACTICE, name: 'Bench Practice', postcode: 'LS6 2AB' }],
    settings: { offerExpiryDays: 14, autoOffer: true },
  });
  const org = await post('/api/v1/organisations', ops, {
    name: 'Bench Befrienders',
    icsCode: 'QBE',
    contactEmail: 'bench@example.org',
  });
  for (let i = 0; i < 8; i++) {
    await post('/api/v1/services', ops, {
      organisationId: org.id,
      name: `Bench group ${i}`,
      needs: ['loneliness'],
      postcode: 'LS6 2AB',
      radiusKm: 50,
      mode: 'in-person',
      maxActive: 10_000,
      weeklyIntake: 10_000,
    });
  }
  await new Promise((r) => setTimeout(r, 2000)); // matching projects the services from their events
  return { linkWorker };
}

async function waitReady(timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (const s of SERVICES) {
    for (;;) {
      try {
        if ((await fetch(url(s.name, '/health'))).ok) break;
      } catch {
        // not yet listening
      }
      if (Date.now() > deadline) throw new Error(`${s.name} not ready`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function resetDatabases() {
  const client = new Client({ connectionString: PG_SERVER });
  await client.connect();
  for (const s of SERVICES.filter((x) => x.database)) {
    await client.query(`DROP DATABASE IF EXISTS "${dbName(s.name)}" WITH (FORCE)`);
  }
  await client.end();
}

async function counters(brokers: string[]) {
  const client = new Client({ connectionString: PG_SERVER });
  await client.connect();
  const [{ tx }] = (
    await client.query(
      `SELECT sum(xact_commit)::bigint AS tx FROM pg_stat_database WHERE datname LIKE 'sp_bench_%'`,
    )
  ).rows as { tx: string }[];
  await client.end();
  const kafka = new Kafka({ clientId: 'bench-counters', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  let msgs = 0;
  for (const topic of TOPICS) {
    for (const o of await admin.fetchTopicOffsets(topic)) msgs += Number(o.high);
  }
  await admin.disconnect();
  // Statements each service has sent to Postgres (sp_db_statements_total): round trips, a load on
  // Postgres. (Cutting them from 136 to 104 a referral did not measurably lower a referral's CPU.)
  const statements: Record<string, number> = {};
  for (const s of SERVICES.filter((x) => x.database)) {
    const text = await (await fetch(url(s.name, '/metrics'))).text();
    statements[s.name] = Number(/^sp_db_statements_total ([\d.e+]+)/m.exec(text)?.[1] ?? NaN);
  }
  return { pgTx: Number(tx), kafkaMsgs: msgs, statements };
}

/**
 * CPU seconds used so far: each service's own and the whole machine's (from /proc/stat), so a phase's
 * figures show where the two cores went: services, or Postgres, Kafka and Redis ("infra" = machine
 * minus services minus this process). Read from /proc, not from the services' /metrics: measuring
 * costs the services nothing (scraping six /metrics every second had cost them about 0.035 core).
 */
function cpuSeconds(pids: Record<string, number | undefined>): Map<string, number> {
  const out = new Map<string, number>();
  const stats = processStats();
  for (const s of SERVICES) {
    const pid = pids[s.name];
    const stat = pid === undefined ? undefined : stats.get(pid);
    out.set(s.name, stat ? stat.cpuSeconds : NaN);
  }
  // Time stolen by the hypervisor is not ours to spend: it is left out of "used".
  const [user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  out.set('machine', (user + nice + system + irq + softirq) / 100); // USER_HZ is 100 on Linux
  for (const name of Object.keys(INFRA)) out.set(name, 0);
  for (const stat of stats.values()) {
    for (const [name, command] of Object.entries(INFRA)) {
      if (stat.comm === command) out.set(name, out.get(name)! + stat.cpuSeconds);
    }
  }
  const self = process.cpuUsage();
  out.set('bench', (self.user + self.system) / 1e6);
  return out;
}

/**
 * The processes of the local stack, by command name. A Postgres backend that exited within the phase is
 * counted through the postmaster, which reaped it (see processStats).
 */
const INFRA = { postgres: 'postgres', kafka: 'java', redis: 'redis-server' } as const;
function cpuSplit(before: Map<string, number>, after: Map<string, number>, seconds: number) {
  const d = (k: string) => (after.get(k) ?? NaN) - (before.get(k) ?? NaN);
  const services = Object.fromEntries(SERVICES.map((s) => [s.name, round(d(s.name), 1)]));
  const serviceTotal = SERVICES.reduce((a, s) => a + d(s.name), 0);
  return {
    seconds: round(seconds, 1),
    machineCpuSeconds: round(d('machine'), 1),
    servicesCpuSeconds: round(serviceTotal, 1),
    infraCpuSeconds: round(d('machine') - serviceTotal - d('bench'), 1),
    benchClientCpuSeconds: round(d('bench'), 1),
    infra: Object.fromEntries(Object.keys(INFRA).map((k) => [k, round(d(k), 1)])),
    perService: services,
  };
}

function sampleRss(pids: Record<string, number | undefined>, into: Map<string, number>): void {
  const stats = processStats(Object.values(pids).filter((pid) => pid !== undefined));
  for (const s of SERVICES) {
    const stat = pids[s.name] === undefined ? undefined : stats.get(pids[s.name]!);
    if (!stat) continue; // restarting
    const mb = Math.round(stat.rssBytes / 2 ** 20);
    if (mb > (into.get(s.name) ?? 0)) into.set(s.name, mb);
  }
}

const withDb = (server: string, db: string) => {
  const u = new URL(server);
  u.pathname = `/${db}`;
  return u.toString();
};
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const p = (values: number[], q: number) => (values.length ? percentile(values, q) : null);
const offered = <T extends Timing>(ts: T[]) => ts.filter((t) => t.offerMs !== undefined);
function kafkaVersion(): string {
  try {
    return execFileSync('sh', ['-c', 'ls .cache/kafka/libs | grep -o "kafka-clients-[0-9.]*" | head -1'], {
      encoding: 'utf8',
    })
      .trim()
      .replace('kafka-clients-', '')
      .replace(/\.$/, '');
  } catch {
    return 'unknown';
  }
}

function printTable(r: Record<string, unknown>) {
  const flat: [string, unknown][] = [];
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      if (v && typeof v === 'object' && !Array.isArray(v) && k !== 'perService' && k !== 'cpu')
        walk(v as Record<string, unknown>, `${prefix}${k}.`);
      else flat.push([`${prefix}${k}`, typeof v === 'object' ? JSON.stringify(v) : v]);
    }
  };
  walk(r, '');
  const width = Math.max(...flat.map(([k]) => k.length));
  for (const [k, v] of flat) console.log(`${k.padEnd(width)}  ${v}`);
}

main().catch((err: unknown) => {
  console.error('bench failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
