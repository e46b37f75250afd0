import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export interface SupervisedProcess {
  name: string;
  /** Script run with `node -r @swc-node/register`. */
  entry: string;
  env?: NodeJS.ProcessEnv;
  /** Extra options for node itself (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
}

interface Slot {
  spec: SupervisedProcess;
  child?: ChildProcess;
  restarts: number;
  startedAt: number;
  timer?: NodeJS.Timeout;
}

const ROOT = path.resolve(__dirname, '..');
const COLOURS = [36, 33, 35, 32, 34, 31, 96];

/**
 * Runs each service as a child process and restarts one that dies (1 s, 2 s, 4 s ... up to 30 s,
 * reset after a minute of uptime). `stop()` sends SIGTERM, waits for clean shutdowns, then SIGKILLs.
 */
export class Supervisor {
  private readonly slots: Slot[];
  private stopping = false;

  constructor(
    specs: SupervisedProcess[],
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {
    this.slots = specs.map((spec) => ({ spec, restarts: 0, startedAt: 0 }));
  }

  start(): void {
    // If the supervisor itself dies, its services must not live on unsupervised.
    process.once('exit', () => {
      for (const slot of this.slots) slot.child?.kill('SIGKILL');
    });
    for (const slot of this.slots) this.launch(slot);
  }

  pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.slots.map((s) => [s.spec.name, s.child?.pid]));
  }

  private launch(slot: Slot): void {
    const { spec } = slot;
    const child = spawn(
      process.execPath,
      [...heapCap(spec), ...(spec.nodeArgs ?? []), '-r', '@swc-node/register', spec.entry],
      {
        cwd: ROOT,
        env: { ...process.env, ...spec.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        // A process group of its own: Ctrl-C reaches the supervisor only, which then stops the
        // services in order instead of racing their restarts.
        detached: true,
      },
    );
    slot.child = child;
    slot.startedAt = Date.now();
    const colour = COLOURS[this.slots.indexOf(slot) % COLOURS.length];
    const prefix = `\x1b[${colour}m${spec.name.padEnd(22)}\x1b[0m| `;
    const pipe = (stream: NodeJS.ReadableStream | null) => {
      let buffered = '';
      stream?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) this.out.write(prefix + line + '\n');
      });
    };
    pipe(child.stdout);
    pipe(child.stderr);
    child.on('exit', (code, signal) => {
      if (slot.child !== child) return;
      slot.child = undefined;
      if (this.stopping) return;
      if (Date.now() - slot.startedAt > 60_000) slot.restarts = 0;
      const delay = Math.min(30_000, 1000 * 2 ** slot.restarts++);
      this.out.write(`${prefix}exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000} s\n`);
      slot.timer = setTimeout(() => this.launch(slot), delay);
    });
  }

  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const exits = this.slots.map((slot) => {
      clearTimeout(slot.timer);
      const child = slot.child;
      if (!child || child.exitCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      });
    });
    await Promise.all(exits);
  }
}

/**
 * The heap cap the Kubernetes manifests give each service (deploy/kubernetes/app/deployment.yaml:
 * --max-old-space-size=128 in a 300 Mi limit), so that locally, in tests and in the benchmark a
 * service lives within the memory it will have in production. `SERVICE_HEAP_MB` changes it (0: none);
 * a cap already in the spec's node options or NODE_OPTIONS wins.
 */
export function heapCap(spec: { nodeArgs?: string[] }, env: NodeJS.ProcessEnv = process.env): string[] {
  const given = [...(spec.nodeArgs ?? []), env.NODE_OPTIONS ?? ''].join(' ');
  if (given.includes('--max-old-space-size')) return [];
  const raw = env.SERVICE_HEAP_MB?.trim() || '128';
  const mb = Number(raw);
  if (!Number.isInteger(mb) || mb < 0) {
    throw new Error(`SERVICE_HEAP_MB must be a whole number of megabytes (0: no cap), got '${raw}'`);
  }
  return mb === 0 ? [] : [`--max-old-space-size=${mb}`];
}
