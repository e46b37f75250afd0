import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, closeSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ensureKafkaJars, KAFKA_LIBS_DIR } from './kafka-jars';
import { runCommand, tail } from './support/exec';
import { withFileLock } from './support/file-lock';
import { isPortOpen, waitForPortClosed } from './support/net';
import { INFRA_DIR } from './support/paths';
import {
  isProcessAlive,
  pathExists,
  processCommandLine,
  readPidFile,
  readTail,
} from './support/process-utils';
import { renderTemplate } from './support/template';
import { errorMessage, sleep, waitUntil } from './support/wait';

/** Options of a local KRaft broker (broker and controller in one JVM). */
export interface KafkaBrokerOptions {
  /** Client (PLAINTEXT) port. */
  port: number;
  /** KRaft controller port. */
  controllerPort: number;
  /** Holds the rendered config, the Kafka log dirs, the broker's own log and its pid file. */
  dataDir: string;
  nodeId?: number;
  heapMb?: number;
  /** Address to listen on and advertise; 127.0.0.1 by default. */
  host?: string;
  /** How long start() waits for the broker to serve metadata; 90 s by default. */
  readyTimeoutMs?: number;
  /** Progress lines (fetching jars, formatting); silent by default. */
  log?: (line: string) => void;
  /** KRaft voters (`id@host:port,...`) of a multi-node cluster; this node alone by default. */
  quorumVoters?: string;
  /** The cluster id storage is formatted with: every node of one cluster must share it. */
  clusterId?: string;
  /** Replicas of internal topics and of topics created without a factor: 1 (a lone broker) by default. */
  replicationFactor?: number;
  /** The cluster's min.insync.replicas: 1 by default. */
  minInsyncReplicas?: number;
}

const SERVER_TEMPLATE = path.join(INFRA_DIR, 'kafka', 'server.properties');
const LOG4J_CONFIG = path.join(INFRA_DIR, 'kafka', 'log4j.properties');

/**
 * An Apache Kafka broker in KRaft mode run from the jars in `.cache/kafka/libs`, as a detached
 * process that outlives the Node process that started it. Its data stays in `dataDir`, so stop() and
 * start() (after SIGTERM or SIGKILL) give back the same topics and messages: tests use this to run
 * disposable brokers and to restart one under a running producer or consumer.
 */
export class KafkaBroker {
  private readonly host: string;
  private readonly nodeId: number;
  private readonly heapMb: number;
  private readonly readyTimeoutMs: number;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: KafkaBrokerOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.nodeId = opts.nodeId ?? 1;
    this.heapMb = opts.heapMb ?? 512;
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
    this.log = opts.log ?? (() => undefined);
  }

  get id(): number {
    return this.nodeId;
  }

  /** Bootstrap addresses for clients. */
  get brokers(): string[] {
    return [`${this.host}:${this.opts.port}`];
  }

  get dataDir(): string {
    return this.opts.dataDir;
  }

  get pidFile(): string {
    return path.join(this.opts.dataDir, 'broker.pid');
  }

  /** The broker's log4j log. */
  get logFile(): string {
    return path.join(this.opts.dataDir, 'logs', 'server.log');
  }

  /** The JVM's own stdout/stderr (start-up failures before log4j is configured land here). */
  get outFile(): string {
    return path.join(this.opts.dataDir, 'broker.out');
  }

  private get configFile(): string {
    return path.join(this.opts.dataDir, 'server.properties');
  }

  private get logDirs(): string {
    return path.join(this.opts.dataDir, 'data');
  }

  /** Fetches the Kafka jars with Maven into `<repo>/.cache/kafka/libs` if they are not there yet. */
  async ensureJars(): Promise<void> {
    await ensureKafkaJars(this.log);
  }

  /** Formats the data dir on first use, starts the JVM and waits until clients can use the broker. */
  async start(): Promise<void> {
    await this.ensureJars();
    await fs.mkdir(this.opts.dataDir, { recursive: true });
    // Two callers starting the same data dir at once would race for its log-dir lock; serialise them.
    await withFileLock(path.join(this.opts.dataDir, 'start.lock'), () => this.startLocked(), {
      timeoutMs: this.readyTimeoutMs + 60_000,
    });
  }

  private async startLocked(): Promise<void> {
    if (await this.isRunning()) {
      // Started earlier (possibly by another process): only make sure it is ready.
      await this.waitReady(undefined);
      return;
    }
    for (const port of [this.opts.port, this.opts.controllerPort]) {
      if (await isPortOpen(this.host, port)) {
        throw new Error(
          `Cannot start Kafka broker: ${this.host}:${port} is already in use by another process (not the broker of ${this.opts.dataDir})`,
        );
      }
    }
    await fs.mkdir(path.join(this.opts.dataDir, 'logs'), { recursive: true });
    await fs.mkdir(this.logDirs, { recursive: true });
    await fs.writeFile(this.configFile, await this.renderConfig());
    if (!(await pathExists(path.join(this.logDirs, 'meta.properties')))) await this.format();

    const out = openSync(this.outFile, 'a');
    let exitInfo: string | undefined;
    try {
      const child = spawn(this.javaBin(), this.jvmArgs(), {
        cwd: this.opts.dataDir,
        detached: true,
        stdio: ['ignore', out, out],
      });
      child.once('exit', (code, signal) => {
        exitInfo = signal ? `signal ${signal}` : `exit code ${code}`;
      });
      child.once('error', (err) => {
        exitInfo = `spawn error: ${err.message}`;
      });
      if (child.pid === undefined) {
        await sleep(50);
        throw new Error(
          `Cannot start java for the Kafka broker (${exitInfo ?? 'no pid'}); is a JDK installed?`,
        );
      }
      child.unref();
      await fs.writeFile(this.pidFile, `${child.pid}\n`);
    } finally {
      closeSync(out);
    }
    try {
      await this.waitReady(() => exitInfo);
    } catch (err) {
      // A broker that never became ready would hold its ports and data dir for nothing.
      await this.stop('SIGKILL').catch(() => undefined);
      throw err;
    }
  }

  /**
   * Stops the broker with `signal` and waits until the process is gone and both ports are closed.
   * SIGTERM is a clean shutdown; if it has not finished within 60 s the broker is killed.
   */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const pid = await this.runningPid();
    if (pid !== undefined) {
      this.signal(pid, signal);
      try {
        await waitUntil(async () => !(await isProcessAlive(pid)), {
          timeoutMs: signal === 'SIGKILL' ? 15_000 : 60_000,
          intervalMs: 100,
          what: `Kafka broker (pid ${pid}) to exit after ${signal}`,
        });
      } catch (err) {
        if (signal === 'SIGKILL') throw err;
        this.signal(pid, 'SIGKILL');
        await waitUntil(async () => !(await isProcessAlive(pid)), {
          timeoutMs: 15_000,
          intervalMs: 100,
          what: `Kafka broker (pid ${pid}) to exit after SIGKILL`,
        });
      }
    }
    await fs.rm(this.pidFile, { force: true });
    if (pid !== undefined) {
      await waitForPortClosed(this.host, this.opts.port, 15_000);
      await waitForPortClosed(this.host, this.opts.controllerPort, 15_000);
    }
  }

  /** True while this data dir's broker process is alive (whether or not it is ready yet). */
  async isRunning(): Promise<boolean> {
    return (await this.runningPid()) !== undefined;
  }

  private async runningPid(): Promise<number | undefined> {
    const pid = await readPidFile(this.pidFile);
    if (pid === undefined || !(await isProcessAlive(pid))) return undefined;
    // Guard against pid reuse: the process must be a Kafka broker using this data dir's config.
    const cmdline = await processCommandLine(pid);
    if (cmdline !== undefined && !(cmdline.includes('kafka.Kafka') && cmdline.includes(this.configFile))) {
      return undefined;
    }
    return pid;
  }

  private signal(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  private async renderConfig(): Promise<string> {
    const template = await fs.readFile(SERVER_TEMPLATE, 'utf8');
    return renderTemplate(template, {
      NODE_ID: this.nodeId,
      HOST: this.host,
      PORT: this.opts.port,
      CONTROLLER_PORT: this.opts.controllerPort,
      QUORUM_VOTERS: this.opts.quorumVoters ?? `${this.nodeId}@${this.host}:${this.opts.controllerPort}`,
      REPLICATION_FACTOR: this.opts.replicationFactor ?? 1,
      MIN_INSYNC_REPLICAS: this.opts.minInsyncReplicas ?? 1,
      LOG_DIRS: this.logDirs,
    });
  }

  private async format(): Promise<void> {
    this.log(`formatting KRaft storage in ${this.logDirs}`);
    const result = await runCommand(
      this.javaBin(),
      [
        '-Xmx256m',
        `-Dlog4j.configuration=file:${LOG4J_CONFIG}`,
        `-Dkafka.logs.dir=${path.join(this.opts.dataDir, 'logs')}`,
        '-cp',
        path.join(KAFKA_LIBS_DIR, '*'),
        'kafka.tools.StorageTool',
        'format',
        '--ignore-formatted',
        '-t',
        this.opts.clusterId ?? newClusterId(),
        '-c',
        this.configFile,
      ],
      { timeoutMs: 60_000 },
    );
    if (result.code !== 0) {
      throw new Error(
        `Formatting KRaft storage in ${this.logDirs} failed (exit ${result.code}):\n${tail(`${result.stdout}\n${result.stderr}`.trim(), 20)}`,
      );
    }
  }

  private javaBin(): string {
    return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  }

  private jvmArgs(): string[] {
    return [
      `-Xmx${this.heapMb}m`,
      `-Xms${Math.min(this.heapMb, 128)}m`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${LOG4J_CONFIG}`,
      `-Dkafka.logs.dir=${path.join(this.opts.dataDir, 'logs')}`,
      '-cp',
      path.join(KAFKA_LIBS_DIR, '*'),
      'kafka.Kafka',
      this.configFile,
    ];
  }

  /**
   * Ready means: the broker answers metadata requests, lists itself as a live (unfenced) broker, and
   * every partition of every existing topic has a leader, so producers and consumers work at once.
   */
  private async waitReady(exited: (() => string | undefined) | undefined): Promise<void> {
    const kafka = new Kafka({
      clientId: 'sp-infra-readiness',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 5000,
      retry: { retries: 0 },
    });
    const deadline = Date.now() + this.readyTimeoutMs;
    let lastProblem = 'not contacted yet';
    for (;;) {
      const exitInfo = exited?.();
      if (exitInfo !== undefined || (exited === undefined && !(await this.isRunning()))) {
        throw new Error(
          `Kafka broker on ${this.brokers[0]} exited during start-up (${exitInfo ?? 'process gone'}).\n${await this.logTails()}`,
        );
      }
      const problem = await this.probe(kafka);
      if (problem === undefined) return;
      lastProblem = problem;
      if (Date.now() > deadline) {
        throw new Error(
          `Kafka broker on ${this.brokers[0]} (data ${this.opts.dataDir}) was not ready within ${Math.round(
            this.readyTimeoutMs / 1000,
          )}s: ${lastProblem}.\n${await this.logTails()}`,
        );
      }
      await sleep(250);
    }
  }

  /** Returns undefined when ready, else what is missing. */
  private async probe(kafka: Kafka): Promise<string | undefined> {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (!cluster.brokers.some((b) => b.nodeId === this.nodeId)) return 'broker not registered yet';
      const topics = await admin.listTopics();
      if (topics.length > 0) {
        const meta = await admin.fetchTopicMetadata({ topics });
        for (const t of meta.topics) {
          const leaderless = t.partitions.filter((p) => p.leader < 0 || p.partitionErrorCode !== 0);
          if (leaderless.length > 0)
            return `topic ${t.name} has ${leaderless.length} partition(s) without a leader`;
        }
      }
      return undefined;
    } catch (err) {
      return errorMessage(err);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async logTails(): Promise<string> {
    const parts: string[] = [];
    const out = await readTail(this.outFile, 15);
    if (out) parts.push(`--- last lines of ${this.outFile} ---\n${out}`);
    // The broker prints its whole config (tab-indented) at start-up; it would crowd out the actual failure.
    const log = (await readTail(this.logFile, 300))
      .split('\n')
      .filter((l) => !l.startsWith('\t'))
      .slice(-30)
      .join('\n');
    if (log) parts.push(`--- last lines of ${this.logFile} ---\n${log}`);
    return parts.join('\n') || `(no broker output in ${this.outFile} or ${this.logFile})`;
  }
}

/** A KRaft cluster id: 16 random bytes, URL-safe base64 without padding, as Kafka's Uuid prints it. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka refuses ids that start with '-' (they read as command-line flags).
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Undefined when a Kafka cluster answers at `brokers` (metadata with at least one live broker),
 * else the reason it does not. Quick: one attempt, short timeouts.
 */
export async function probeKafka(brokers: string[], timeoutMs = 2000): Promise<string | undefined> {
  const kafka = new Kafka({
    clientId: 'sp-infra-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 1500),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 ? undefined : 'no live broker in the cluster metadata';
  } catch (err) {
    return errorMessage(err);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
