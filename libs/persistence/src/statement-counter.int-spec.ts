import { Client } from 'pg';
import { createServiceDataSource } from './data-source';
import { ensureDatabase } from './ensure-database';
import { dbStatements } from './statement-counter';

// Not @sp/testing's createTestDatabase: that library depends on this one.
const SERVER = process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NAME = `statements_it_${process.pid}_${Date.now()}`;

const counted = async () => (await dbStatements.get()).values[0]?.value ?? 0;

describe('sp_db_statements_total (against the real Postgres)', () => {
  const url = Object.assign(new URL(SERVER), { pathname: `/${NAME}` }).toString();
  beforeAll(() => ensureDatabase(url));
  afterAll(async () => {
    const admin = new Client({ connectionString: SERVER });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${NAME}" WITH (FORCE)`);
    await admin.end();
  });

  it('counts every statement a service data source sends, BEGIN and COMMIT included', async () => {
    const ds = createServiceDataSource({ url });
    await ds.initialize();
    try {
      const before = await counted();
      await ds.query('SELECT 1');
      await ds.transaction(async (m) => {
        await m.query('SELECT 2');
        await m.query('SELECT 3');
      });
      // SELECT 1; START TRANSACTION, SELECT 2, SELECT 3, COMMIT
      expect((await counted()) - before).toBe(5);
    } finally {
      await ds.destroy();
    }
  });
});
