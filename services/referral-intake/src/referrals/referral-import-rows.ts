import { csvRecords, type FieldProblem } from '@sp/platform';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * One input row of a bulk import: a `POST /referrals` body (plus its optional external id), or the
 * reasons it could not even be read as one. `row` counts data rows from 1 (a CSV header is not a row).
 */
export interface ImportRow {
  row: number;
  body?: Record<string, unknown>;
  externalId?: string;
  errors?: FieldProblem[];
}

/** The file cannot be imported at all (bad CSV header): refused before any row is read. */
export class ImportFormatError extends Error {
  override name = 'ImportFormatError';
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => `${p.field} ${p.message}`).join('; '));
  }
}

/** The longest row accepted; a longer one is refused (NDJSON) or stops the import (CSV, unbalanced quotes). */
export const MAX_ROW_CHARS = 64 * 1024;

const REQUIRED_COLUMNS = [
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
] as const;
const OPTIONAL_COLUMNS = [
  'phone',
  'email',
  'preferredLanguage',
  'accessibilityNeeds',
  'notes',
  'externalId',
] as const;
/** Columns of an import CSV, in the order the templates and examples use. */
export const IMPORT_CSV_COLUMNS: readonly string[] = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS];

const EXTERNAL_ID = /^[\x21-\x7e](?:[\x20-\x7e]{0,198}[\x21-\x7e])?$/;

function externalIdOf(value: unknown): { externalId?: string; errors?: FieldProblem[] } {
  if (value === undefined || value === null || value === '') return {};
  if (typeof value === 'string' && EXTERNAL_ID.test(value)) return { externalId: value };
  return {
    errors: [{ field: 'externalId', message: 'must be 1 to 200 printable characters without edge spaces' }],
  };
}

const optional = (v: string): string | undefined => (v.trim() === '' ? undefined : v);
const list = (v: string): string[] =>
  v
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/**
 * Reads the header of an import CSV (columns by name, any order; see IMPORT_CSV_COLUMNS), refusing
 * unknown or missing columns, then yields one ImportRow per data record as the stream delivers it.
 * Blank lines are skipped.
 */
export async function openCsvImport(input: Readable): Promise<AsyncGenerator<ImportRow>> {
  const records = csvRecords(input, { maxRecordChars: MAX_ROW_CHARS })[Symbol.asyncIterator]();
  const first = await records.next();
  if (first.done)
    throw new ImportFormatError([{ field: 'header', message: 'is missing: the file is empty' }]);
  const header = first.value.map((h) => h.trim());
  const known = new Set<string>(IMPORT_CSV_COLUMNS);
  const problems: FieldProblem[] = [];
  // Unknown columns are named by position only: a file without a header would otherwise echo a person.
  header.forEach((h, i) => {
    if (!known.has(h)) problems.push({ field: 'header', message: `column ${i + 1} is not a known column` });
  });
  for (const c of REQUIRED_COLUMNS) {
    if (!header.includes(c)) problems.push({ field: 'header', message: `lacks the column "${c}"` });
  }
  if (new Set(header).size !== header.length) problems.push({ field: 'header', message: 'repeats a column' });
  if (problems.length) throw new ImportFormatError(problems);
  const index = new Map(header.map((h, i) => [h, i]));

  async function* rows(): AsyncGenerator<ImportRow> {
    let row = 0;
    for (let r = await records.next(); !r.done; r = await records.next()) {
      const fields = r.value;
      if (fields.length === 1 && fields[0].trim() === '') continue;
      row++;
      if (fields.length !== header.length) {
        yield {
          row,
          errors: [{ field: 'row', message: `has ${fields.length} fields; the header has ${header.length}` }],
        };
        continue;
      }
      const get = (c: string): string => {
        const i = index.get(c);
        return i === undefined ? '' : fields[i];
      };
      const ext = externalIdOf(get('externalId'));
      if (ext.errors) {
        yield { row, errors: ext.errors };
        continue;
      }
      const accessibility = list(get('accessibilityNeeds'));
      yield {
        row,
        externalId: ext.externalId,
        body: {
          pcnCode: get('pcnCode').trim(),
          practiceCode: get('practiceCode').trim(),
          referrer: { name: get('referrerName'), role: get('referrerRole') },
          patient: {
            nhsNumber: get('nhsNumber').trim(),
            givenName: get('givenName'),
            familyName: get('familyName'),
            birthDate: get('birthDate').trim(),
            postcode: get('postcode').trim(),
            phone: optional(get('phone')),
            email: optional(get('email'))?.trim(),
            preferredLanguage: optional(get('preferredLanguage'))?.trim(),
            accessibilityNeeds: accessibility.length ? accessibility : undefined,
          },
          needs: list(get('needs')),
          notes: optional(get('notes')),
        },
      };
    }
  }
  return rows();
}

/**
 * Yields one ImportRow per non-blank line of an NDJSON stream: each line a `POST /referrals` body with
 * an optional `externalId`. A line that is not a JSON object, or is longer than MAX_ROW_CHARS, is
 * refused on its own; the rest of the file goes on.
 */
export async function* ndjsonImportRows(
  input: Readable | AsyncIterable<Buffer | string>,
): AsyncGenerator<ImportRow> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let overlong = false;
  let row = 0;

  function parse(line: string): ImportRow | undefined {
    if (line.trim() === '') return undefined;
    row++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { row, errors: [{ field: 'row', message: 'is not valid JSON' }] };
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      return { row, errors: [{ field: 'row', message: 'must be a JSON object' }] };
    }
    const { externalId, ...body } = value as Record<string, unknown>;
    const ext = externalIdOf(externalId);
    if (ext.errors) return { row, errors: ext.errors };
    return { row, body, externalId: ext.externalId };
  }

  for await (const chunk of input) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let nl: number;
    let start = 0;
    const out: ImportRow[] = [];
    while ((nl = pending.indexOf('\n', start)) >= 0) {
      const line = pending.slice(start, nl);
      start = nl + 1;
      if (overlong) {
        overlong = false;
        out.push({
          row: ++row,
          errors: [{ field: 'row', message: `is longer than ${MAX_ROW_CHARS} characters` }],
        });
        continue;
      }
      const parsed = parse(line);
      if (parsed) out.push(parsed);
    }
    pending = pending.slice(start);
    if (pending.length > MAX_ROW_CHARS) {
      // Drop what is held of an overlong line; it is reported once its end arrives.
      overlong = true;
      pending = '';
    }
    for (const r of out) yield r;
  }
  pending += decoder.end();
  if (overlong) {
    yield { row: ++row, errors: [{ field: 'row', message: `is longer than ${MAX_ROW_CHARS} characters` }] };
  } else {
    const last = parse(pending);
    if (last) yield last;
  }
}
