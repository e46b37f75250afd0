import { ensureDatabase } from '@sp/persistence';
import { Client } from 'pg';

export const TEST_PG_SERVER =
  process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh database on the stack's Postgres for one spec; `drop()` removes it (and its connections). */
export async function createTestDatabase(
  name: string,
  server = TEST_PG_SERVER,
): Promise<{ url: string; drop(): Promise<void> }> {
  const url = new URL(server);
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  return {
    url: url.toString(),
    async drop() {
      const admin = new Client({ connectionString: server });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
