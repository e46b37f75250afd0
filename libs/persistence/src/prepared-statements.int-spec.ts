import { Client } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { createServiceDataSource } from './data-source';
import { ensureDatabase } from './ensure-database';
import { PREPARED_PER_CONNECTION } from './prepared-statements';
import { transactionWithRetry } from './retry-transaction';

// Not @sp/testing's createTestDatabase: that library depends on this one.
const SERVER = process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NAME = `prepared_it_${process.pid}_${Date.now()}`;

/** The statements this transaction's connection holds prepared (a query without parameters is never one). */
const preparedOn = async (m: EntityManager): Promise<string[]> =>
  (
    (await m.query(`SELECT statement FROM pg_prepared_statements ORDER BY prepare_time`)) as {
      statement: string;
    }[]
  ).map((r) => r.statement);

describe('prepared statements (against the real Postgres)', () => {
  const url = Object.assign(new URL(SERVER), { pathname: `/${NAME}` }).toString();
  let ds: DataSource;
  const saved = process.env.DB_PREPARED_STATEMENTS;

  beforeAll(async () => {
    await ensureDatabase(url);
    const admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE TABLE thing (id int PRIMARY KEY, label text NOT NULL)`);
    await admin.query(`INSERT INTO thing SELECT i, 't' || i FROM generate_series(1, 5) AS i`);
    await admin.end();
  });
  afterEach(async () => {
    if (ds?.isInitialized) await ds.destroy();
    if (saved === undefined) delete process.env.DB_PREPARED_STATEMENTS;
    else process.env.DB_PREPARED_STATEMENTS = saved;
  });
  afterAll(async () => {
    const admin = new Client({ connectionString: SERVER });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${NAME}" WITH (FORCE)`);
    await admin.end();
  });

  it('prepares a parameterised statement once per connection and answers as an unnamed one would', async () => {
    ds = createServiceDataSource({ url, poolSize: 1 });
    await ds.initialize();
    const insert = `INSERT INTO thing (id, label) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET label = EXCLUDED.label RETURNING label`;
    await ds.transaction(async (m) => {
      for (let i = 11; i <= 15; i++)
        expect(await m.query(insert, [i, `n${i}`])).toEqual([{ label: `n${i}` }]);
      expect(await m.query(`SELECT label FROM thing WHERE id = ANY($1) ORDER BY id`, [[2, 14]])).toEqual([
        { label: 't2' },
        { label: 'n14' },
      ]);
      const prepared = await preparedOn(m);
      // Five calls, one prepared statement; BEGIN and the parameterless query above are not among them.
      expect(prepared.filter((s) => s === insert)).toHaveLength(1);
      expect(prepared).toContain(`SELECT label FROM thing WHERE id = ANY($1) ORDER BY id`);
      expect(prepared.some((s) => /pg_prepared_statements|START TRANSACTION/.test(s))).toBe(false);
    });
  });

  it('prepares nothing with DB_PREPARED_STATEMENTS=0', async () => {
    process.env.DB_PREPARED_STATEMENTS = '0';
    ds = createServiceDataSource({ url, poolSize: 1 });
    await ds.initialize();
    await ds.transaction(async (m) => {
      expect(await m.query(`SELECT label FROM thing WHERE id = $1`, [1])).toEqual([{ label: 't1' }]);
      expect(await preparedOn(m)).toEqual([]);
    });
  });

  it('refuses a DB_PREPARED_STATEMENTS it does not understand, naming it', () => {
    process.env.DB_PREPARED_STATEMENTS = 'yes please';
    expect(() => createServiceDataSource({ url })).toThrow(
      /DB_PREPARED_STATEMENTS must be 1, 0, true or false/,
    );
  });

  it('keeps at most PREPARED_PER_CONNECTION statements on a connection and still runs the rest', async () => {
    ds = createServiceDataSource({ url, poolSize: 1 });
    await ds.initialize();
    await ds.transaction(async (m) => {
      const extra = 20;
      for (let i = 0; i < PREPARED_PER_CONNECTION + extra; i++) {
        // A distinct text each time, as multi-row inserts of different lengths are.
        const [row] = (await m.query(`SELECT $1::int + ${i} AS n`, [1])) as { n: number }[];
        expect(row.n).toBe(1 + i);
      }
      expect((await preparedOn(m)).length).toBeLessThanOrEqual(PREPARED_PER_CONNECTION);
    });
  });

  it('forgets a statement Postgres refused to prepare: the next call fails the same way, and the connection goes on', async () => {
    ds = createServiceDataSource({ url, poolSize: 1 });
    await ds.initialize();
    const broken = `SELECT label FROM no_such_table WHERE id = $1`;
    await expect(ds.query(broken, [1])).rejects.toThrow(/relation "no_such_table" does not exist/);
    // Not "prepared statement does not exist": pg dropped the name when the parse failed.
    await expect(ds.query(broken, [1])).rejects.toThrow(/relation "no_such_table" does not exist/);
    expect(await ds.query(`SELECT label FROM thing WHERE id = $1`, [3])).toEqual([{ label: 't3' }]);
  });

  it('re-plans a prepared statement after the table under it changes', async () => {
    ds = createServiceDataSource({ url, poolSize: 1 });
    await ds.initialize();
    const read = `SELECT label FROM thing WHERE id = $1`;
    expect(await ds.query(read, [2])).toEqual([{ label: 't2' }]);
    await ds.query(`CREATE INDEX thing_label ON thing (label)`);
    await ds.query(`ALTER TABLE thing ADD COLUMN note text`);
    expect(await ds.query(read, [2])).toEqual([{ label: 't2' }]);
  });

  // Postgres refuses for good a prepared plan whose result columns changed ("cached plan must not
  // change result type"): a running service must survive a migration that adds a column.
  it('survives a migration that adds a column under a prepared SELECT *, outside a transaction', async () => {
    ds = createServiceDataSource({ url, poolSize: 1 });
    await ds.initialize();
    const read = `SELECT * FROM thing WHERE id = $1`;
    expect(await ds.query(read, [1])).toEqual([expect.objectContaining({ id: 1, label: 't1' })]);
    await ds.query(`ALTER TABLE thing ADD COLUMN added_outside text DEFAULT 'x'`);
    expect(await ds.query(read, [1])).toEqual([expect.objectContaining({ id: 1, added_outside: 'x' })]);
    expect(await ds.query(read, [1])).toEqual([expect.objectContaining({ id: 1, added_outside: 'x' })]);
  });

  it('fails the transaction that meets the changed columns once, and its retry succeeds', async () => {
    ds = createServiceDataSource({ url, poolSize: 1 });
    await ds.initialize();
    const read = `SELECT * FROM thing WHERE id = $1 FOR UPDATE`;
    await ds.transaction((m) => m.query(read, [2]));
    await ds.query(`ALTER TABLE thing ADD COLUMN added_inside text DEFAULT 'y'`);
    let attempts = 0;
    const rows = await transactionWithRetry(ds, async (m) => {
      attempts++;
      return m.query(read, [2]);
    });
    expect(rows).toEqual([expect.objectContaining({ id: 2, added_inside: 'y' })]);
    expect(attempts).toBe(2);
  });
});
