import { Client } from 'pg';
import { createServiceDataSource } from './data-source';
import { adminUrlFor, databaseNameOf } from './database-url';

/** Creates the database named by `databaseUrl` when it is missing; safe when several processes race. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const name = databaseNameOf(databaseUrl);
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name "${name}" is not a plain identifier`);
  const client = new Client({ connectionString: adminUrlFor(databaseUrl) });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return;
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } catch (err) {
      // 42P04 duplicate_database, 23505 unique_violation on pg_database: another process won the race.
      const code = (err as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw err;
    }
  } finally {
    await client.end();
  }
}

/**
 * Creates the database if needed and runs pending migrations, holding an advisory lock so that
 * several instances (or `npm start` and a test) booting at once migrate it exactly once.
 */
export async function migrateDatabase(
  databaseUrl: string,
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[],
): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  const ds = createServiceDataSource({
    url: databaseUrl,
    migrations,
    poolSize: 2,
    applicationName: 'migrate',
  });
  await ds.initialize();
  try {
    await ds.query('SELECT pg_advisory_lock(hashtext($1))', ['sp:migrations']);
    try {
      const ran = await ds.runMigrations({ transaction: 'each' });
      return ran.map((m) => m.name);
    } finally {
      await ds.query('SELECT pg_advisory_unlock(hashtext($1))', ['sp:migrations']);
    }
  } finally {
    await ds.destroy();
  }
}
