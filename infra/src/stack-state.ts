import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PostgresProvision } from './postgres';
import type { RedisProvision } from './redis';
import { CACHE_DIR, INFRA_DIR } from './support/paths';

export const STACK_DIR = path.join(CACHE_DIR, 'stack');
export const STATE_FILE = path.join(STACK_DIR, 'state.json');
export const STACK_KAFKA_DIR = path.join(STACK_DIR, 'kafka');
export const SERVICES_FILE = path.join(INFRA_DIR, 'services.json');

/** What the stack script started, so that `down` stops exactly that and nothing else. */
export interface StackState {
  version: 1;
  kafka?:
    | { startedBy: 'stack'; brokers: string[]; port: number; controllerPort: number; dataDir: string }
    | { startedBy: 'docker'; brokers: string[] };
  postgres?:
    | { startedBy: 'stack'; provision: Exclude<PostgresProvision, { startedBy: 'already-running' }> }
    | { startedBy: 'docker'; url: string };
  redis?:
    | { startedBy: 'stack'; provision: Exclude<RedisProvision, { startedBy: 'already-running' }> }
    | { startedBy: 'docker'; url: string };
  updatedAt?: string;
}

export async function readState(): Promise<StackState> {
  try {
    const parsed = JSON.parse(await fs.readFile(STATE_FILE, 'utf8')) as StackState;
    if (parsed && parsed.version === 1) return parsed;
  } catch {
    // no state yet, or unreadable: the script has started nothing we know of
  }
  return { version: 1 };
}

export async function writeState(state: StackState): Promise<void> {
  await fs.mkdir(STACK_DIR, { recursive: true });
  const tmp = `${STATE_FILE}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`);
  await fs.rename(tmp, STATE_FILE);
}

/** A service of infra/services.json. */
export interface ServiceEntry {
  name: string;
  port: number;
  database: string | null;
}

export function parseServices(raw: unknown): ServiceEntry[] {
  const services = (raw as { services?: unknown }).services;
  if (!Array.isArray(services)) throw new Error('infra/services.json: services must be an array');
  return services.map((s: unknown, i) => {
    const e = (s ?? {}) as Record<string, unknown>;
    if (typeof e.name !== 'string' || typeof e.port !== 'number') {
      throw new Error(`infra/services.json: services[${i}] needs a name and a port`);
    }
    if (e.database !== null && typeof e.database !== 'string') {
      throw new Error(`infra/services.json: ${e.name}: database must be a string or null`);
    }
    return { name: e.name, port: e.port, database: e.database };
  });
}

export function loadServices(): ServiceEntry[] {
  return parseServices(JSON.parse(readFileSync(SERVICES_FILE, 'utf8')) as unknown);
}

/** Who brought a component up, as the status table shows it. */
export type StartedBy = 'stack script' | 'docker' | 'already running';

export interface StatusRow {
  component: string;
  where: string;
  running: boolean;
  startedBy: StartedBy | '-';
}

/** A fixed-width table: one header line and one line per row. */
export function formatStatusTable(rows: StatusRow[]): string {
  const header = ['component', 'where', 'running', 'started by'];
  const cells = rows.map((r) => [r.component, r.where, r.running ? 'yes' : 'no', r.startedBy]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (cols: string[]): string =>
    cols
      .map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}
