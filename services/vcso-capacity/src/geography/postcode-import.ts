import { Postcode } from '@sp/domain';
import type { Readable } from 'node:stream';
import { csvRecords } from '@sp/platform';

/** Anything that runs SQL with positional parameters: a TypeORM DataSource or a pg Client. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** A row that was not loaded: its line in the file and why (never the row's values). */
export interface RejectedRow {
  line: number;
  reason: string;
}

export interface PostcodeImportResult {
  /** Data rows read (the header aside). */
  rows: number;
  /** Rows upserted. */
  loaded: number;
  rejected: RejectedRow[];
  /** How many rejections there were in all (the list keeps the first `maxReported`). */
  rejectedCount: number;
}

export interface PostcodeImportOptions {
  batchSize?: number;
  maxReported?: number;
  /** Called after each batch with the rows read so far. */
  onProgress?: (rowsRead: number, loaded: number) => void;
}

const POSTCODE_COLUMNS = ['postcode', 'pcds', 'pcd', 'pcd7', 'pcd8', 'outcode'];
const LAT_COLUMNS = ['latitude', 'lat'];
const LON_COLUMNS = ['longitude', 'long', 'lon'];

const UPSERT = `
  INSERT INTO postcode_geography (code, kind, lat, lon)
  SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[])
  ON CONFLICT (code) DO UPDATE SET kind = EXCLUDED.kind, lat = EXCLUDED.lat, lon = EXCLUDED.lon, updated_at = now()`;

function columnOf(header: string[], names: string[]): number {
  const normalised = header.map((h) => h.trim().toLowerCase());
  for (const name of names) {
    const i = normalised.indexOf(name);
    if (i >= 0) return i;
  }
  return -1;
}

/**
 * Streams a postcode geography CSV (ONS / NHS Postcode Directory style, or district centroids) into
 * `postcode_geography`, upserting in batches. It needs a postcode column (`postcode`, `pcds`, `pcd` or
 * `outcode`: full postcodes or districts) and `latitude`/`lat` and `longitude`/`long` columns; other
 * columns are ignored. Bad rows (no such postcode shape, no usable coordinates: the directories write
 * 99.999999 for postcodes without a grid reference) are counted and reported by line, and skipped.
 */
export async function importPostcodes(
  db: Queryable,
  input: Readable | AsyncIterable<Buffer | string>,
  options: PostcodeImportOptions = {},
): Promise<PostcodeImportResult> {
  const batchSize = options.batchSize ?? 2000;
  const maxReported = options.maxReported ?? 100;
  const result: PostcodeImportResult = { rows: 0, loaded: 0, rejected: [], rejectedCount: 0 };
  const reject = (line: number, reason: string) => {
    result.rejectedCount++;
    if (result.rejected.length < maxReported) result.rejected.push({ line, reason });
  };
  // Keyed by code: a file may list a code twice, and one upsert statement may not touch a row twice.
  let batch = new Map<string, { kind: 'postcode' | 'district'; lat: number; lon: number }>();
  const flush = async () => {
    if (batch.size === 0) return;
    const entries = [...batch];
    batch = new Map();
    await db.query(UPSERT, [
      entries.map(([code]) => code),
      entries.map(([, v]) => v.kind),
      entries.map(([, v]) => v.lat),
      entries.map(([, v]) => v.lon),
    ]);
    result.loaded += entries.length;
    options.onProgress?.(result.rows, result.loaded);
  };

  let header: string[] | null = null;
  let pc = -1;
  let lat = -1;
  let lon = -1;
  let line = 0;
  for await (const record of csvRecords(input)) {
    line++;
    if (!header) {
      header = record;
      pc = columnOf(header, POSTCODE_COLUMNS);
      lat = columnOf(header, LAT_COLUMNS);
      lon = columnOf(header, LON_COLUMNS);
      const missing = [
        pc < 0 ? 'a postcode column (postcode, pcds, pcd or outcode)' : null,
        lat < 0 ? 'a latitude column (latitude or lat)' : null,
        lon < 0 ? 'a longitude column (longitude or long)' : null,
      ].filter((m) => m !== null);
      if (missing.length > 0) throw new Error(`the CSV header lacks ${missing.join(', ')}`);
      continue;
    }
    if (record.length === 1 && record[0].trim() === '') continue;
    result.rows++;
    const raw = record[pc] ?? '';
    const latitude = Number((record[lat] ?? '').trim());
    const longitude = Number((record[lon] ?? '').trim());
    let code: string;
    let kind: 'postcode' | 'district';
    if (Postcode.isValid(raw)) {
      code = Postcode.parse(raw).value;
      kind = 'postcode';
    } else if (Postcode.isValidDistrict(raw)) {
      code = Postcode.parseDistrict(raw);
      kind = 'district';
    } else {
      reject(line, 'not a UK postcode or district');
      continue;
    }
    if (
      (record[lat] ?? '').trim() === '' ||
      (record[lon] ?? '').trim() === '' ||
      !Number.isFinite(latitude) ||
      !Number.isFinite(longitude) ||
      Math.abs(latitude) > 90 ||
      Math.abs(longitude) > 180
    ) {
      reject(line, 'no usable latitude/longitude');
      continue;
    }
    batch.set(code, { kind, lat: latitude, lon: longitude });
    if (batch.size >= batchSize) await flush();
  }
  await flush();
  return result;
}
