import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { formatStackStatus, stackStatus, stackUp } from './stack';
import { loadServices } from './stack-state';
import { loadTopics } from './topic-config';
import { REPO_ROOT } from './support/paths';

const run = promisify(execFile);
const STACK_CLI = path.join(REPO_ROOT, 'infra', 'src', 'stack.ts');

function cli(...args: string[]) {
  return run(process.execPath, ['-r', '@swc-node/register', STACK_CLI, ...args], {
    cwd: REPO_ROOT,
    timeout: 120_000,
  });
}

// Runs against the shared local stack (jest's global setup has brought it up): it never stops anything.
describe('stackUp', () => {
  it('is idempotent: a second call finds everything in place and reports the same stack', async () => {
    const first = await stackUp({ quiet: true });
    const second = await stackUp({ quiet: true });
    expect(second).toEqual(first);
    expect(first.components.map((c) => [c.component, c.running])).toEqual([
      ['kafka', true],
      ['postgres', true],
      ['redis', true],
    ]);
    expect(Object.keys(first.databaseUrls).sort()).toEqual(
      loadServices()
        .filter((s) => s.database)
        .map((s) => s.name)
        .sort(),
    );
  });

  it('is safe when callers race, in one process and across processes', async () => {
    const inProcess = await Promise.all([stackUp({ quiet: true }), stackUp({ quiet: true })]);
    expect(inProcess[1]).toEqual(inProcess[0]);
    const [a, b] = await Promise.all([cli('up'), cli('up')]);
    for (const out of [a.stdout, b.stdout]) expect(out).toMatch(/\[stack\] up \((local|docker)\)/);
  });

  it('leaves every topic of topics.json on the cluster with at least its partitions', async () => {
    const info = await stackUp({ quiet: true });
    const admin = new Kafka({
      clientId: 'infra-it-stack',
      brokers: info.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const wanted = loadTopics();
      const meta = await admin.fetchTopicMetadata({ topics: wanted.map((t) => t.name) });
      const counts = new Map(meta.topics.map((t) => [t.name, t.partitions.length]));
      for (const t of wanted) expect(counts.get(t.name) ?? 0).toBeGreaterThanOrEqual(t.partitions);
    } finally {
      await admin.disconnect();
    }
  });

  it('leaves a database for every service that has one', async () => {
    const info = await stackUp({ quiet: true });
    for (const url of Object.values(info.databaseUrls)) {
      const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
      await client.connect();
      try {
        const r = await client.query<{ db: string }>('SELECT current_database() AS db');
        expect(url.endsWith(`/${r.rows[0].db}`)).toBe(true);
      } finally {
        await client.end();
      }
    }
  });
});

describe('stack status', () => {
  it('reports every component running, and all topics and databases present', async () => {
    const status = await stackStatus();
    expect(status.rows.every((r) => r.running)).toBe(true);
    expect(status.topics?.missing).toEqual([]);
    expect(status.databases?.missing).toEqual([]);
    expect(formatStackStatus(status)).toContain(`topics ${loadTopics().length}/${loadTopics().length}`);
  });

  it('prints the table from the command line', async () => {
    const { stdout } = await cli('status');
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^component\s+where\s+running\s+started by$/);
    for (const component of ['kafka', 'postgres', 'redis']) {
      expect(lines.find((l) => l.startsWith(component))).toMatch(
        new RegExp(`^${component}\\s+\\S+:\\d+\\s+yes\\s+(stack script|already running|docker)$`),
      );
    }
  });

  it('rejects an unknown command with usage and exit code 2', async () => {
    await expect(cli('sideways')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('usage:'),
    });
  });
});
