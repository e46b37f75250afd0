import fc from 'fast-check';
import type { Expected, FuzzTarget } from '../fuzz-targets';
import {
  brokenJson,
  junkValue,
  mutatedBody,
  parseLikeTheServer,
  problemsOf,
  topLevel,
  validBody,
  type BodySchema,
} from './body-oracle';

/** One generated request body and what the platform must answer to it. */
export interface FuzzCase {
  kind: string;
  data: string;
  /** null: no Content-Type header at all. */
  type: string | null;
  expected: Expected & { subset?: boolean };
  /** Import answers: the rows a NDJSON body holds (undefined for CSV, where quoting decides). */
  rows?: number;
}

const JSON_LIMIT = 1024 * 1024;
const JSON_TYPE = 'application/json';
const WRONG_TYPES = [
  'text/plain',
  'application/xml',
  'text/csv',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  'application/json; charset=iso-8859-1',
  'application/x-ndjson',
  null,
];

/** What the platform must answer to `text` sent as application/json to `target`. */
export function expectJson(target: FuzzTarget, text: string): FuzzCase['expected'] {
  if (Buffer.byteLength(text) > JSON_LIMIT) return { status: 413 };
  const parsed = parseLikeTheServer(text);
  if (!parsed.ok) return { status: 400, fields: ['body'] };
  if (!target.spec) return target.accepted({});
  const problems = problemsOf(target.spec, parsed.value);
  if (problems.length === 0) return target.accepted(parsed.value as Record<string, unknown>);
  return { status: 400, fields: [...new Set(problems.map(topLevel))], subset: true };
}

function sample<T>(arb: fc.Arbitrary<T>, n: number, seed: number): T[] {
  return n > 0 ? fc.sample(arb, { numRuns: n, seed }) : [];
}

function anyObject(): fc.Arbitrary<Record<string, unknown>> {
  return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
}

/**
 * `n` bodies for a JSON route: mostly a valid body changed in one to three places, then whole junk
 * values, broken JSON text, wrong content types, bodies over 1 MB, empty bodies, and some valid ones.
 */
export function jsonCases(target: FuzzTarget, n: number, seed: number): FuzzCase[] {
  const schema: BodySchema = target.spec?.schema ?? {};
  const valid = target.spec ? validBody(schema) : anyObject();
  const share = (p: number) => Math.round(n * p);
  const cases: FuzzCase[] = [];
  const json = (kind: string, text: string) =>
    cases.push({ kind, data: text, type: JSON_TYPE, expected: expectJson(target, text) });

  for (const b of sample(valid, share(0.1), seed)) json('valid', JSON.stringify(b));
  for (const b of sample(target.spec ? mutatedBody(target.spec, valid) : junkValue, share(0.55), seed + 1))
    json('mutated', JSON.stringify(b) ?? 'null');
  for (const b of sample(fc.oneof(junkValue, anyObject()), share(0.14), seed + 2))
    json('junk', JSON.stringify(b) ?? 'null');
  for (const t of sample(brokenJson(valid), share(0.1), seed + 3)) json('broken', t);
  const typed = sample(fc.tuple(fc.constantFrom(...WRONG_TYPES), valid), share(0.1), seed + 4);
  for (const [type, b] of typed) {
    cases.push({ kind: 'content-type', data: JSON.stringify(b), type, expected: { status: 415 } });
  }
  for (const b of sample(valid, 3, seed + 5))
    json('oversize', JSON.stringify({ ...b, padding: 'x'.repeat(1_100_000) }));
  for (let i = 0; i < 3; i++) json('empty', '');
  while (cases.length < n) json('junk', JSON.stringify({ [`extra${cases.length}`]: cases.length }));
  return cases.slice(0, n);
}

const IMPORT_REQUIRED = [
  'pcnCode',
  'practiceCode',
  'referrerName',
  'referrerRole',
  'nhsNumber',
  'givenName',
  'familyName',
  'birthDate',
  'postcode',
  'needs',
];
const IMPORT_OPTIONAL = ['phone', 'email', 'preferredLanguage', 'accessibilityNeeds', 'notes', 'externalId'];

function csvField(value: string, quote: boolean): string {
  return quote || /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * NDJSON import bodies: rows of a valid referral for another PCN, such rows changed, junk lines,
 * broken JSON, prototype keys, an overlong line, blank lines. Every row must be refused, none created;
 * a file over `maxBytes` (IMPORT_MAX_BYTES) is a 413.
 */
export function ndjsonCases(
  referral: { spec: FuzzTarget['spec']; valid: fc.Arbitrary<Record<string, unknown>> },
  n: number,
  seed: number,
  maxBytes: number,
): FuzzCase[] {
  const line = fc.oneof(
    { weight: 3, arbitrary: referral.valid.map((b) => JSON.stringify(b)) },
    {
      weight: 5,
      arbitrary: mutatedBody(referral.spec!, referral.valid).map((b) => JSON.stringify(b) ?? 'null'),
    },
    { weight: 2, arbitrary: fc.oneof(junkValue, anyObject()).map((b) => JSON.stringify(b) ?? 'null') },
    { weight: 2, arbitrary: brokenJson(referral.valid) },
    { weight: 1, arbitrary: fc.constantFrom('', '   ', '\r') },
    {
      weight: 1,
      arbitrary: referral.valid.map((b) =>
        JSON.stringify({ ...b, externalId: `ext-${JSON.stringify(b).length}` }),
      ),
    },
  );
  const body = fc.tuple(
    fc.array(line, { minLength: 1, maxLength: 25 }),
    fc.boolean(),
    fc.constantFrom('\n', '\r\n'),
    fc.nat(20),
  );
  const cases: FuzzCase[] = [];
  for (const [lines, trailing, eol, long] of sample(body, n, seed)) {
    // Now and then a line longer than a row may be (64 KiB): refused on its own, the rest goes on.
    const all = long === 0 ? [...lines, JSON.stringify({ notes: 'n'.repeat(70_000) })] : lines;
    // A line break inside a broken line would make two rows; count rows as the service reads them.
    const text = all.join(eol) + (trailing ? eol : '');
    const rows = text.split('\n').filter((l) => l.trim() !== '').length;
    // A file over the import limit (huge junk lines add up) is refused whole before a row is read.
    const expected = Buffer.byteLength(text) > maxBytes ? { status: 413 } : { status: 200 };
    cases.push({ kind: 'ndjson', data: text, type: 'application/x-ndjson', rows, expected });
  }
  return cases;
}

/** CSV import bodies: a valid or broken header, then rows of junk, of another PCN, quoted and not. */
export function csvCases(otherPcn: string, n: number, seed: number): FuzzCase[] {
  const header = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.subarray(IMPORT_OPTIONAL), fc.nat())
        .map(([optional, s]) => ({ columns: shuffle([...IMPORT_REQUIRED, ...optional], s), ok: true })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.nat(IMPORT_REQUIRED.length - 1), fc.stringMatching(/^[a-zA-Z]{1,10}$/), fc.nat(2))
        .map(([drop, unknown, how]) => {
          const columns = [...IMPORT_REQUIRED];
          if (how === 0) columns.splice(drop, 1);
          else if (how === 1)
            columns.push(unknown === 'notes' || IMPORT_REQUIRED.includes(unknown) ? 'bogus' : unknown);
          else columns.push(columns[drop]);
          return { columns, ok: false };
        }),
    },
  );
  const cell = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom(
      otherPcn,
      'P40002',
      'P40001',
      '9434765919',
      'Ann',
      '1950-01-01',
      'LS6 2AB',
      'loneliness;nature',
    ),
    fc.constantFrom('"', '""', 'a,b', 'line\nbreak', '=cmd|/c calc', '\u0000', 'Ä'.repeat(300)),
  );
  const body = fc.tuple(
    header,
    fc.array(fc.tuple(fc.array(cell, { minLength: 1, maxLength: 18 }), fc.boolean()), { maxLength: 20 }),
    fc.constantFrom('\n', '\r\n'),
    fc.nat(30),
  );
  const cases: FuzzCase[] = [];
  for (const [h, rows, eol, variant] of sample(body, n, seed)) {
    const lines = [h.columns.join(',')];
    for (const [cells, quote] of rows) {
      // The PCN column, when there is one, never names the caller's own PCN.
      const index = h.columns.indexOf('pcnCode');
      const values = h.columns.map((_, i) => (i === index ? otherPcn : (cells[i % cells.length] ?? '')));
      lines.push(values.map((v) => csvField(v, quote)).join(','));
    }
    let text = lines.join(eol) + eol;
    if (variant === 0) text = '';
    if (variant === 1) text = text.replace(/"/, ''); // an unbalanced quote somewhere
    const ok = h.ok && text !== '';
    cases.push({
      kind: ok ? 'csv' : 'csv-bad-header',
      data: text,
      type: 'text/csv',
      expected: ok ? { status: 200 } : { status: 400, fields: ['header'] },
    });
  }
  return cases;
}

function shuffle<T>(items: T[], seed: number): T[] {
  let s = seed >>> 0 || 1;
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1664525 + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
