import { migrateDatabase, serviceDatabaseUrl } from '@sp/persistence';
import type { Readable } from 'node:stream';
import { Client } from 'pg';
import { MIGRATIONS as matching } from '../services/matching/src/migrations';
import { MIGRATIONS as vcsoCapacity } from '../services/vcso-capacity/src/migrations';
import {
  importPostcodes,
  type PostcodeImportOptions,
  type PostcodeImportResult,
} from '../services/vcso-capacity/src/geography/postcode-import';

/**
 * Loads postcode geography into vcso-capacity's database and matching's (matching measures people's
 * district centroids against services with it) from one read of the CSV. `npm run import -- postcodes`
 * and the demo network both come through here, so the demo's districts load exactly as a real file does.
 */
export async function loadPostcodeGeography(
  input: Readable | AsyncIterable<Buffer | string>,
  options: PostcodeImportOptions = {},
): Promise<PostcodeImportResult & { seconds: number }> {
  const url = serviceDatabaseUrl('vcso-capacity', 'sp_vcso_capacity');
  const matchingUrl = serviceDatabaseUrl('matching', 'sp_matching');
  await migrateDatabase(url, vcsoCapacity);
  await migrateDatabase(matchingUrl, matching);
  const client = new Client({ connectionString: url });
  const matchingClient = new Client({ connectionString: matchingUrl });
  await client.connect();
  await matchingClient.connect();
  // Both tables have the same columns: each batch goes to both databases.
  const both = {
    query: async (sql: string, params?: unknown[]) =>
      Promise.all([client.query(sql, params), matchingClient.query(sql, params)]),
  };
  const started = Date.now();
  try {
    const result = await importPostcodes(both, input, options);
    return { ...result, seconds: (Date.now() - started) / 1000 };
  } finally {
    await client.end();
    await matchingClient.end();
  }
}
