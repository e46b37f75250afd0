import { Client } from 'pg';
import { ensureDatabases, TempPostgres } from './postgres';
import { freePort, isPortOpen } from './support/net';

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('TempPostgres (a database taken away and given back)', () => {
  let pg: TempPostgres;
  let url: string;
  let PORT: number;

  beforeAll(async () => {
    // Other people's disposable servers share this machine: take a port nobody holds.
    PORT = await freePort();
    pg = new TempPostgres({ port: PORT });
    await pg.start();
    url = await pg.createDatabase('it_temp');
    await query(url, 'CREATE TABLE kept (id int primary key)');
    await query(url, 'INSERT INTO kept VALUES (1)');
  });

  afterAll(async () => {
    await pg?.destroy();
  });

  it('serves its own URL', async () => {
    expect(url).toBe(`postgres://postgres@127.0.0.1:${PORT}/it_temp`);
    expect(await query<{ n: number }>(url, 'SELECT 1 AS n')).toEqual([{ n: 1 }]);
  });

  it('refuses connections while stopped (fast) and keeps the data once started again', async () => {
    await pg.stop('fast');
    expect(await pg.isRunning()).toBe(false);
    expect(await isPortOpen('127.0.0.1', PORT)).toBe(false);
    await expect(query(url, 'SELECT 1')).rejects.toThrow();

    await pg.start();
    expect(await query<{ id: number }>(url, 'SELECT id FROM kept')).toEqual([{ id: 1 }]);
  });

  it('recovers from an immediate (crash) stop, breaking an open connection', async () => {
    const open = new Client({ connectionString: url });
    open.on('error', () => undefined);
    await open.connect();
    await open.query('INSERT INTO kept VALUES (2)');

    await pg.stop('immediate');
    await expect(open.query('SELECT 1')).rejects.toThrow();
    await open.end().catch(() => undefined);

    await pg.start();
    expect((await query<{ id: number }>(url, 'SELECT id FROM kept ORDER BY id')).map((r) => r.id)).toEqual([
      1, 2,
    ]);
  });

  it('creates databases idempotently, also when callers race', async () => {
    const names = ['it_race_a', 'it_race_b'];
    const results = await Promise.all([1, 2, 3, 4].map(() => ensureDatabases(names, pg.url())));
    // Each database was created by exactly one caller; the others found it there.
    for (const name of names) expect(results.filter((created) => created.includes(name))).toHaveLength(1);
    expect(await ensureDatabases(names, pg.url())).toEqual([]);
    const rows = await query<{ datname: string }>(
      pg.url(),
      "SELECT datname FROM pg_database WHERE datname LIKE 'it_race_%'",
    );
    expect(rows.map((r) => r.datname).sort()).toEqual(names);
  });
});
