/**
 * `npm run import -- <kind> FILE [...]`: bulk loads.
 *   postcodes FILE   postcode geography (ONS/NHS Postcode Directory columns, or district centroids)
 *                    into vcso-capacity's database.
 *   referrals FILE   (not yet available here)
 */
import { migrateDatabase, serviceDatabaseUrl } from '@sp/persistence';
import { createReadStream } from 'node:fs';
import { Client } from 'pg';
import { importPostcodes } from '../services/vcso-capacity/src/geography/postcode-import';
import { MIGRATIONS as vcsoCapacity } from '../services/vcso-capacity/src/migrations';

const USAGE = 'usage: npm run import -- postcodes FILE | referrals FILE [--pcn U00001]';

async function importPostcodeFile(file: string): Promise<number> {
  const url = serviceDatabaseUrl('vcso-capacity', 'sp_vcso_capacity');
  await migrateDatabase(url, vcsoCapacity);
  const client = new Client({ connectionString: url });
  await client.connect();
  const started = Date.now();
  try {
    const result = await importPostcodes(client, createReadStream(file), {
      onProgress: (rows, loaded) => process.stderr.write(`\r  ${rows} rows read, ${loaded} loaded`),
    });
    process.stderr.write('\n');
    const secs = (Date.now() - started) / 1000;
    console.log(
      `postcodes: ${result.rows} rows, ${result.loaded} loaded, ${result.rejectedCount} rejected in ${secs.toFixed(1)} s`,
    );
    // Line numbers and reasons only: a row's values stay out of the output.
    for (const r of result.rejected) console.log(`  line ${r.line}: ${r.reason}`);
    if (result.rejectedCount > result.rejected.length) {
      console.log(`  ... and ${result.rejectedCount - result.rejected.length} more`);
    }
    return 0;
  } finally {
    await client.end();
  }
}

async function main(argv: string[]): Promise<number> {
  const [kind, file] = argv;
  switch (kind) {
    case 'postcodes':
      if (!file) break;
      return importPostcodeFile(file);
    case 'referrals':
      console.error('import referrals: not yet available');
      return 2;
  }
  console.error(USAGE);
  return 64;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('import failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
