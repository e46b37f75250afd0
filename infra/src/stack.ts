import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { KafkaBroker, probeKafka } from './kafka-broker';
import {
  canConnect,
  ensureDatabases,
  ensurePostgres,
  pgAdminUrl,
  stopProvisionedPostgres,
  withDatabase,
} from './postgres';
import { DEFAULT_REDIS_URL, ensureRedis, pingRedis, stopProvisionedRedis } from './redis';
import {
  formatStatusTable,
  loadServices,
  readState,
  STACK_DIR,
  STACK_KAFKA_DIR,
  StackState,
  StartedBy,
  STATE_FILE,
  StatusRow,
  writeState,
} from './stack-state';
import { loadTopics } from './topic-config';
import { ensureTopics } from './topics';
import { commandExists, runCommand, tail } from './support/exec';
import { withFileLock } from './support/file-lock';
import { isLocalHost, parseBrokerList, parseHostPort } from './support/net';
import { displayPath, REPO_ROOT } from './support/paths';
import { errorMessage, waitUntil } from './support/wait';

const COMPOSE_FILE = path.join(REPO_ROOT, 'docker-compose.yml');
const LOCK = path.join(STACK_DIR, 'lock');

/** Where the stack's parts are and who started them. */
export interface StackInfo {
  mode: 'local' | 'docker';
  kafkaBrokers: string[];
  /** Maintenance-database URL, for creating databases. */
  postgresUrl: string;
  redisUrl: string;
  /** One URL per service that has a database (infra/services.json), by service name. */
  databaseUrls: Record<string, string>;
  topics: string[];
  components: StatusRow[];
}

export interface StackUpOptions {
  /** No progress lines (jest global setup, npm start). Errors are still thrown. */
  quiet?: boolean;
}

/** The addresses the stack serves, from the environment (KAFKA_BROKERS, DATABASE_URL, REDIS_URL). */
export function stackAddresses(env: NodeJS.ProcessEnv = process.env): {
  kafkaBrokers: string[];
  postgresUrl: string;
  redisUrl: string;
} {
  return {
    kafkaBrokers: parseBrokerList(env.KAFKA_BROKERS || 'localhost:9092'),
    postgresUrl: pgAdminUrl(env),
    redisUrl: env.REDIS_URL || DEFAULT_REDIS_URL,
  };
}

/**
 * Brings the local stack up, or checks that it is up: Kafka, Postgres and Redis answering, the
 * topics of infra/topics.json and the databases of infra/services.json present. Idempotent and
 * quick when everything is already there; concurrent callers (two test runs, `npm start` beside a
 * test run) are serialised by a lock file so only one of them ever starts anything.
 */
export async function stackUp(opts: StackUpOptions = {}): Promise<StackInfo> {
  const log = logger(opts.quiet);
  const started = Date.now();
  const info = await withFileLock(LOCK, () => up(log), {
    onWait: (owner) => log(`waiting for another stack command (${owner}) to finish`),
  });
  log(`up (${info.mode}) in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return info;
}

async function up(log: Logger): Promise<StackInfo> {
  const addr = stackAddresses();
  const state = await readState();
  const mode = (await dockerEngineAvailable()) ? 'docker' : 'local';
  if (mode === 'docker') await dockerUp(addr, state, log);
  else await localUp(addr, state, log);
  await writeState(state);

  const topicResult = await ensureTopics(addr.kafkaBrokers);
  log(
    `${pad('topics')}${topicResult.created.length + topicResult.existing.length} ready` +
      (topicResult.created.length ? ` (${topicResult.created.length} created)` : ''),
  );
  const services = loadServices().filter((s): s is typeof s & { database: string } => s.database !== null);
  const created = await ensureDatabases(
    services.map((s) => s.database),
    addr.postgresUrl,
  );
  log(`${pad('databases')}${services.length} ready` + (created.length ? ` (${created.length} created)` : ''));

  return {
    mode,
    kafkaBrokers: addr.kafkaBrokers,
    postgresUrl: addr.postgresUrl,
    redisUrl: addr.redisUrl,
    databaseUrls: Object.fromEntries(
      services.map((s) => [s.name, withDatabase(addr.postgresUrl, s.database)]),
    ),
    topics: topicResult.topics,
    components: [
      {
        component: 'kafka',
        where: addr.kafkaBrokers.join(','),
        running: true,
        startedBy: startedByLabel(state.kafka),
      },
      {
        component: 'postgres',
        where: urlWhere(addr.postgresUrl),
        running: true,
        startedBy: startedByLabel(state.postgres),
      },
      {
        component: 'redis',
        where: urlWhere(addr.redisUrl),
        running: true,
        startedBy: startedByLabel(state.redis),
      },
    ],
  };
}

async function localUp(
  addr: ReturnType<typeof stackAddresses>,
  state: StackState,
  log: Logger,
): Promise<void> {
  // Postgres and Redis: ours from an earlier `up` stays ours while it still answers, so `down` stops it.
  if (state.postgres?.startedBy === 'stack' && (await canConnect(addr.postgresUrl))) {
    log(`${pad('postgres')}${urlWhere(addr.postgresUrl)}  running (started by this script)`);
  } else {
    const t = Date.now();
    const pg = await ensurePostgres(addr.postgresUrl, { log: (l) => log(`${pad('postgres')}${l}`) });
    if (pg.startedBy === 'already-running') {
      if (state.postgres?.startedBy !== 'docker') delete state.postgres;
      log(`${pad('postgres')}${urlWhere(pg.url)}  already running`);
    } else {
      state.postgres = { startedBy: 'stack', provision: pg };
      log(`${pad('postgres')}${urlWhere(pg.url)}  started (${pg.startedBy}) in ${secondsSince(t)}`);
    }
  }

  if (state.redis?.startedBy === 'stack' && (await pingRedis(addr.redisUrl)) === undefined) {
    log(`${pad('redis')}${urlWhere(addr.redisUrl)}  running (started by this script)`);
  } else {
    const t = Date.now();
    const redis = await ensureRedis(addr.redisUrl, { log: (l) => log(`${pad('redis')}${l}`) });
    if (redis.startedBy === 'already-running') {
      if (state.redis?.startedBy !== 'docker') delete state.redis;
      log(`${pad('redis')}${urlWhere(redis.url)}  already running`);
    } else {
      state.redis = { startedBy: 'stack', provision: redis };
      log(`${pad('redis')}${urlWhere(redis.url)}  started (redis-server) in ${secondsSince(t)}`);
    }
  }

  const where = addr.kafkaBrokers.join(',');
  const problem = await probeKafka(addr.kafkaBrokers);
  const ours = state.kafka?.startedBy === 'stack' ? brokerFromState(state.kafka) : undefined;
  if (problem === undefined) {
    if (ours && (await ours.isRunning())) {
      log(`${pad('kafka')}${where}  running (started by this script)`);
    } else {
      if (state.kafka?.startedBy !== 'docker') delete state.kafka;
      log(`${pad('kafka')}${where}  already running`);
    }
    return;
  }
  const target = localBrokerTarget(addr.kafkaBrokers);
  if (!target) {
    throw new Error(
      `Kafka at ${where} is not reachable (${problem}), and the stack starts a broker only for one local address`,
    );
  }
  const t = Date.now();
  log(`${pad('kafka')}${where}  starting (KRaft, data in ${displayPath(STACK_KAFKA_DIR)})`);
  // Recorded before start() so that a failed start can still be cleaned up by `down`.
  state.kafka = {
    startedBy: 'stack',
    brokers: addr.kafkaBrokers,
    port: target.port,
    controllerPort: target.port + 1,
    dataDir: STACK_KAFKA_DIR,
  };
  await writeState(state);
  await new KafkaBroker({ ...brokerOptions(state.kafka), log: (l) => log(`${pad('kafka')}${l}`) }).start();
  log(`${pad('kafka')}${where}  started in ${secondsSince(t)}`);
}

function brokerOptions(k: { port: number; controllerPort: number; dataDir: string }) {
  return {
    port: k.port,
    controllerPort: k.controllerPort,
    dataDir: k.dataDir,
    heapMb: Number(process.env.SP_KAFKA_HEAP_MB) || 512,
  };
}

function brokerFromState(k: { port: number; controllerPort: number; dataDir: string }): KafkaBroker {
  return new KafkaBroker(brokerOptions(k));
}

/** The one local host:port the stack may start a broker on, or undefined. */
export function localBrokerTarget(brokers: string[]): { host: string; port: number } | undefined {
  if (brokers.length !== 1) return undefined;
  const hp = parseHostPort(brokers[0], 9092);
  return isLocalHost(hp.host) ? hp : undefined;
}

async function dockerUp(
  addr: ReturnType<typeof stackAddresses>,
  state: StackState,
  log: Logger,
): Promise<void> {
  const missing: string[] = [];
  const checks: Array<[string, string, () => Promise<boolean>, 'kafka' | 'postgres' | 'redis']> = [
    [
      'kafka',
      addr.kafkaBrokers.join(','),
      async () => (await probeKafka(addr.kafkaBrokers)) === undefined,
      'kafka',
    ],
    ['postgres', urlWhere(addr.postgresUrl), () => canConnect(addr.postgresUrl), 'postgres'],
    ['redis', urlWhere(addr.redisUrl), async () => (await pingRedis(addr.redisUrl)) === undefined, 'redis'],
  ];
  for (const [name, where, answers, key] of checks) {
    if (await answers()) {
      // Whoever started it before (docker, or this script without docker) still owns it for `down`.
      const recorded = state[key];
      log(
        `${pad(name)}${where}  ${recorded ? `running (started by ${startedByLabel(recorded)})` : 'already running'}`,
      );
    } else {
      missing.push(name);
    }
  }
  if (missing.length === 0) return;
  const t = Date.now();
  log(`docker compose up ${missing.join(' ')} ...`);
  await compose(['up', '-d', '--wait', ...missing], 10 * 60_000);
  for (const [name, where, answers, key] of checks) {
    if (!missing.includes(name)) continue;
    await waitUntil(answers, { timeoutMs: 120_000, intervalMs: 500, what: `${name} at ${where}` });
    if (key === 'kafka') state.kafka = { startedBy: 'docker', brokers: addr.kafkaBrokers };
    if (key === 'postgres') state.postgres = { startedBy: 'docker', url: addr.postgresUrl };
    if (key === 'redis') state.redis = { startedBy: 'docker', url: addr.redisUrl };
    log(`${pad(name)}${where}  started (docker) in ${secondsSince(t)}`);
  }
}

/**
 * Stops what the stack script started (per .cache/stack/state.json) and nothing else: a Postgres or
 * Redis that was already running is left alone. Kafka's data stays in .cache/stack/kafka.
 */
export async function stackDown(opts: StackUpOptions = {}): Promise<void> {
  const log = logger(opts.quiet);
  await withFileLock(LOCK, async () => {
    const state = await readState();
    const addr = stackAddresses();
    const dockerServices: string[] = [];
    if (state.kafka?.startedBy === 'stack') {
      await brokerFromState(state.kafka).stop('SIGTERM');
      log(`${pad('kafka')}${state.kafka.brokers.join(',')}  stopped`);
      delete state.kafka;
      await writeState(state);
    } else if (state.kafka?.startedBy === 'docker') dockerServices.push('kafka');
    else log(`${pad('kafka')}${addr.kafkaBrokers.join(',')}  left alone (not started by this script)`);

    if (state.redis?.startedBy === 'stack') {
      await stopProvisionedRedis(state.redis.provision);
      log(`${pad('redis')}${urlWhere(state.redis.provision.url)}  stopped`);
      delete state.redis;
      await writeState(state);
    } else if (state.redis?.startedBy === 'docker') dockerServices.push('redis');
    else log(`${pad('redis')}${urlWhere(addr.redisUrl)}  left alone (not started by this script)`);

    if (state.postgres?.startedBy === 'stack') {
      await stopProvisionedPostgres(state.postgres.provision);
      log(`${pad('postgres')}${urlWhere(state.postgres.provision.url)}  stopped`);
      delete state.postgres;
      await writeState(state);
    } else if (state.postgres?.startedBy === 'docker') dockerServices.push('postgres');
    else log(`${pad('postgres')}${urlWhere(addr.postgresUrl)}  left alone (not started by this script)`);

    if (dockerServices.length > 0) {
      await compose(['rm', '--force', '--stop', ...dockerServices], 5 * 60_000);
      for (const s of dockerServices) {
        log(`${pad(s)}stopped (docker compose rm; named volumes kept)`);
        delete state[s as 'kafka' | 'postgres' | 'redis'];
      }
      await writeState(state);
    }
  });
}

export interface StackStatus {
  rows: StatusRow[];
  topics?: { present: number; expected: number; missing: string[] };
  databases?: { present: number; expected: number; missing: string[] };
}

/** Probes each component; never starts anything. */
export async function stackStatus(): Promise<StackStatus> {
  const addr = stackAddresses();
  const state = await readState();
  const [kafkaUp, pgUp, redisUp] = await Promise.all([
    probeKafka(addr.kafkaBrokers).then((p) => p === undefined),
    canConnect(addr.postgresUrl),
    pingRedis(addr.redisUrl).then((p) => p === undefined),
  ]);
  const by = (recorded: { startedBy: string } | undefined, running: boolean): StatusRow['startedBy'] =>
    recorded ? startedByLabel(recorded) : running ? 'already running' : '-';
  const status: StackStatus = {
    rows: [
      {
        component: 'kafka',
        where: addr.kafkaBrokers.join(','),
        running: kafkaUp,
        startedBy: by(state.kafka, kafkaUp),
      },
      {
        component: 'postgres',
        where: urlWhere(addr.postgresUrl),
        running: pgUp,
        startedBy: by(state.postgres, pgUp),
      },
      {
        component: 'redis',
        where: urlWhere(addr.redisUrl),
        running: redisUp,
        startedBy: by(state.redis, redisUp),
      },
    ],
  };
  if (kafkaUp) {
    const expected = loadTopics().map((t) => t.name);
    const existing = new Set(await listTopics(addr.kafkaBrokers));
    const missing = expected.filter((t) => !existing.has(t));
    status.topics = { present: expected.length - missing.length, expected: expected.length, missing };
  }
  if (pgUp) {
    const expected = loadServices().flatMap((s) => (s.database ? [s.database] : []));
    const client = new Client({ connectionString: addr.postgresUrl, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      const r = await client.query<{ datname: string }>('SELECT datname FROM pg_database');
      const existing = new Set(r.rows.map((row) => row.datname));
      const missing = expected.filter((d) => !existing.has(d));
      status.databases = { present: expected.length - missing.length, expected: expected.length, missing };
    } finally {
      await client.end();
    }
  }
  return status;
}

/** The status as printed by `npm run stack -- status`. */
export function formatStackStatus(status: StackStatus): string {
  const lines = [formatStatusTable(status.rows)];
  const extra: string[] = [];
  if (status.topics) extra.push(`topics ${status.topics.present}/${status.topics.expected}`);
  if (status.databases) extra.push(`databases ${status.databases.present}/${status.databases.expected}`);
  if (extra.length) lines.push('', extra.join(', '));
  const missing = [...(status.topics?.missing ?? []), ...(status.databases?.missing ?? [])];
  if (missing.length) lines.push(`missing: ${missing.join(', ')} (run: npm run stack -- up)`);
  return lines.join('\n');
}

async function listTopics(brokers: string[]): Promise<string[]> {
  const admin = new Kafka({
    clientId: 'sp-infra-status',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 1 },
  }).admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

/** True when a Docker engine answers and SP_NO_DOCKER is not set. */
export async function dockerEngineAvailable(): Promise<boolean> {
  if (process.env.SP_NO_DOCKER) return false;
  try {
    const r = await runCommand('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 });
    return r.code === 0 && r.stdout.trim() !== '';
  } catch {
    return false; // no docker CLI at all
  }
}

async function compose(args: string[], timeoutMs: number): Promise<void> {
  // Compose v2 is a docker plugin; the older standalone docker-compose takes the same arguments.
  const v2 = (await runCommand('docker', ['compose', 'version'], { timeoutMs: 15_000 })).code === 0;
  if (!v2 && !(await commandExists('docker-compose'))) {
    throw new Error('A Docker engine runs but neither `docker compose` nor `docker-compose` is installed');
  }
  const [cmd, pre] = v2 ? ['docker', ['compose']] : ['docker-compose', []];
  const r = await runCommand(cmd, [...pre, '-f', COMPOSE_FILE, ...args], { cwd: REPO_ROOT, timeoutMs });
  if (r.code !== 0) {
    throw new Error(
      `${cmd} ${[...pre, ...args].join(' ')} failed (exit ${r.code}):\n${tail(`${r.stdout}\n${r.stderr}`.trim(), 30)}`,
    );
  }
}

function startedByLabel(recorded: { startedBy: string } | undefined): StartedBy {
  if (recorded?.startedBy === 'stack') return 'stack script';
  if (recorded?.startedBy === 'docker') return 'docker';
  return 'already running';
}

/** host:port of a URL, without credentials or database. */
function urlWhere(url: string): string {
  const u = new URL(url);
  const defaults: Record<string, string> = {
    'postgres:': '5432',
    'postgresql:': '5432',
    'redis:': '6379',
    'rediss:': '6379',
  };
  return `${u.hostname}:${u.port || defaults[u.protocol] || '?'}`;
}

type Logger = (line: string) => void;

function logger(quiet: boolean | undefined): Logger {
  return quiet ? () => undefined : (line) => console.log(`[stack] ${line}`);
}

function pad(component: string): string {
  return component.padEnd(10);
}

function secondsSince(t: number): string {
  return `${((Date.now() - t) / 1000).toFixed(1)}s`;
}

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  switch (command) {
    case 'up':
      await stackUp();
      return 0;
    case 'down':
      await stackDown();
      return 0;
    case 'status':
      console.log(formatStackStatus(await stackStatus()));
      console.log(`\nstate: ${displayPath(STATE_FILE)}`);
      return 0;
    default:
      console.error('usage: npm run stack -- up|down|status');
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`[stack] failed: ${errorMessage(err)}`);
      process.exit(1);
    },
  );
}
