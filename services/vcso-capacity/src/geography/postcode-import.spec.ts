import { Readable } from 'node:stream';
import { importPostcodes, type Queryable } from './postcode-import';

/** Records the upserts instead of running them. */
function fakeDb(): Queryable & { batches: unknown[][][] } {
  const batches: unknown[][][] = [];
  return {
    batches,
    query: async (_sql: string, params?: unknown[]) => {
      batches.push(params as unknown[][]);
      return [];
    },
  };
}

const csv = (...lines: string[]) => Readable.from([lines.join('\n')]);

describe('importPostcodes', () => {
  it('reads ONS-style columns (pcd with padding, lat, long), ignoring the rest, in batches', async () => {
    const db = fakeDb();
    const result = await importPostcodes(
      db,
      csv(
        'pcd,oseast1m,lat,long',
        'LS6  3HN,1,53.8196,-1.5794',
        'ls1 4ap,2,53.8,-1.55',
        'M1,3,53.4794,-2.2453',
      ),
      { batchSize: 2 },
    );
    expect(result).toEqual({ rows: 3, loaded: 3, rejected: [], rejectedCount: 0 });
    expect(db.batches).toEqual([
      [
        ['LS6 3HN', 'LS1 4AP'],
        ['postcode', 'postcode'],
        [53.8196, 53.8],
        [-1.5794, -1.55],
      ],
      [['M1'], ['district'], [53.4794], [-2.2453]],
    ]);
  });

  it('keeps the last of a code listed twice in one batch, and reports bad rows by line only', async () => {
    const db = fakeDb();
    const result = await importPostcodes(
      db,
      csv(
        'outcode,latitude,longitude',
        'LS6,1,1',
        'LS6,53.8,-1.5',
        'not one,1,1',
        'BD1,99.999999,0',
        'BD2,,',
      ),
    );
    expect(db.batches).toEqual([[['LS6'], ['district'], [53.8], [-1.5]]]);
    expect(result.rejected).toEqual([
      { line: 4, reason: 'not a UK postcode or district' },
      { line: 5, reason: 'no usable latitude/longitude' },
      { line: 6, reason: 'no usable latitude/longitude' },
    ]);
    expect(JSON.stringify(result)).not.toContain('BD1');
  });

  it('refuses a file without the columns it needs', async () => {
    await expect(importPostcodes(fakeDb(), csv('code,x,y', 'LS6,1,1'))).rejects.toThrow(
      /postcode column.*latitude column.*longitude column/,
    );
  });
});
