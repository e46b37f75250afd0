import { AuthClaims, mintDevToken } from '@sp/auth';
import { assertFixedPort, KafkaBroker, TempPostgres, TempRedis } from '@sp/infra';
import { SERVICES } from '@sp/platform';
import { waitFor } from '@sp/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
const ARTIFACTS = path.join(ROOT, 'e2e', 'artifacts');

export interface PlatformOptions {
  /** Added to every service's port (SP_PORT_OFFSET), so the platform runs beside the dev one. */
  offset: number;
  /**
   * Ports of this platform's own Postgres and Kafka broker (controller on kafkaPort + 1), fixed, and below the
   * kernel's ephemeral range (32768 and up), where an outgoing connection may already hold them.
   */
  pgPort: number;
  kafkaPort: number;
  /** A Redis of its own (so a test may restart it); otherwise the stack's Redis with a queue prefix. */
  redisPort?: number;
  /** Load the demo network (DEMO=1); off by default. */
  demo?: boolean;
  env?: NodeJS.ProcessEnv;
  /** How long `npm start` may take to print "ready in"; 280 s by default. */
  readyTimeoutMs?: number;
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * The platform as a user runs it: `npm start` in its own process group, against a Postgres, a Kafka
 * broker (and optionally a Redis) of the test's own, on shifted ports. Tests that stop brokers or
 * databases, kill services or drive a browser use this so that they disturb nothing else.
 */
export class PlatformHarness {
  readonly pg: TempPostgres;
  readonly broker: KafkaBroker;
  readonly redis?: TempRedis;
  output = '';
  startedInMs = 0;
  private process?: ChildProcess;

  constructor(private readonly opts: PlatformOptions) {
    assertFixedPort(opts.pgPort, 'Postgres');
    assertFixedPort(opts.kafkaPort, 'Kafka');
    assertFixedPort(opts.kafkaPort + 1, 'Kafka controller');
    if (opts.redisPort) assertFixedPort(opts.redisPort, 'Redis');
    for (const s of SERVICES) assertFixedPort(s.port + opts.offset, s.name);
    this.pg = new TempPostgres({ port: opts.pgPort });
    this.broker = new KafkaBroker({
      port: opts.kafkaPort,
      controllerPort: opts.kafkaPort + 1,
      dataDir: mkdtempSync(path.join(tmpdir(), `sp-kafka-${opts.kafkaPort}-`)),
    });
    if (opts.redisPort) this.redis = new TempRedis({ port: opts.redisPort });
  }

  get offset(): number {
    return this.opts.offset;
  }

  get child(): ChildProcess | undefined {
    return this.process;
  }

  port(service: string): number {
    const s = SERVICES.find((x) => x.name === service);
    if (!s) throw new Error(`no service called ${service}`);
    return s.port + this.opts.offset;
  }

  url(service: string, p = ''): string {
    return `http://127.0.0.1:${this.port(service)}${p}`;
  }

  /** The gateway's address: the console and /api/v1. */
  get gatewayUrl(): string {
    return this.url('gateway');
  }

  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      SP_PORT_OFFSET: String(this.opts.offset),
      DATABASE_URL: this.pg.url('postgres'),
      KAFKA_BROKERS: this.broker.brokers.join(','),
      ...(this.redis ? { REDIS_URL: this.redis.url() } : { SP_QUEUE_PREFIX: `sp-test-${this.opts.offset}` }),
      DEMO: this.opts.demo ? '1' : '0',
      ...this.opts.env,
    };
  }

  async start(): Promise<void> {
    await Promise.all([this.pg.start(), this.broker.start(), this.redis?.start()]);
    const t0 = Date.now();
    const child = spawn('npm', ['start'], {
      cwd: ROOT,
      detached: true, // its own process group, as in a terminal: Ctrl-C goes to the group
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = child;
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    await waitFor(() => this.output.includes('ready in') || child.exitCode !== null, {
      timeoutMs: this.opts.readyTimeoutMs ?? 280_000,
      intervalMs: 500,
      message: 'npm start to print "ready in"',
    });
    if (child.exitCode !== null)
      throw new Error(`npm start exited (${child.exitCode}):\n${this.output.slice(-3000)}`);
    this.startedInMs = Date.now() - t0;
  }

  /**
   * SIGKILLs the whole platform and stops its stack. Safe to call after a failed start. The platform's
   * output is kept in e2e/artifacts/platform-<offset>.log for a failed run's post-mortem.
   */
  async stop(): Promise<void> {
    try {
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(path.join(ARTIFACTS, `platform-${this.opts.offset}.log`), this.output);
    } catch {
      // the log is a convenience
    }
    const child = this.process;
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // Services run in process groups of their own (the supervisor's); kill any left behind.
    for (const s of SERVICES) {
      const pid = this.pidOf(s.name);
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await Promise.allSettled([
      this.broker.stop('SIGKILL'),
      this.pg.stop('immediate'),
      this.redis?.stop('SIGKILL'),
    ]);
  }

  /** The pid of a running service of this platform (found by its entry script and port offset). */
  pidOf(service: string): number | undefined {
    const entry = `services/${service}/src/main.ts`;
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        if (!cmd.includes(entry)) continue;
        const env = readFileSync(`/proc/${d}/environ`, 'utf8').split('\0');
        if (env.includes(`SP_PORT_OFFSET=${this.opts.offset}`)) return Number(d);
      } catch {
        // the process ended while we looked
      }
    }
    return undefined;
  }

  /** A signed dev token for the claims. */
  token(claims: AuthClaims): Promise<string> {
    return mintDevToken(claims);
  }

  /** Calls /api/v1 through the gateway with a token; JSON in and out (text when not JSON). */
  async api<T = unknown>(
    method: string,
    apiPath: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    }
    const res = await fetch(`${this.gatewayUrl}/api/v1${apiPath}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
}
