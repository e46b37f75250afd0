import type { Readable } from 'node:stream';

export interface CsvOptions {
  /** Refuse (throw) a record longer than this, so one stray quote cannot hold the rest of the file. */
  maxRecordChars?: number;
}

export class CsvRecordTooLongError extends Error {
  override name = 'CsvRecordTooLongError';
}

/**
 * Streams RFC 4180 CSV records (quoted fields, doubled quotes, commas and line breaks inside quotes,
 * CRLF or LF) from a byte stream, one array of fields per record, without holding the file in memory.
 * Written here because no CSV parser is among the workspace's dependencies.
 */
export async function* csvRecords(
  input: Readable | AsyncIterable<Buffer | string>,
  opts: CsvOptions = {},
): AsyncGenerator<string[]> {
  const maxRecordChars = opts.maxRecordChars ?? Infinity;
  // Characters held for the record being read: a missing closing quote must not swallow the file.
  let held = 0;
  let field = '';
  let record: string[] = [];
  let inQuotes = false;
  // A quote just seen inside a quoted field: either the closing quote or the first of a doubled pair.
  let quotePending = false;
  let sawAny = false;
  const decoder = new TextDecoder('utf-8');

  for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    const out: string[][] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (++held > maxRecordChars) {
        // The records completed before it are still good: hand them over first.
        for (const r of out) yield r;
        throw new CsvRecordTooLongError(`a CSV record is longer than ${maxRecordChars} characters`);
      }
      if (inQuotes) {
        if (quotePending) {
          quotePending = false;
          if (c === '"') {
            field += '"';
            continue;
          }
          inQuotes = false;
          // fall through: c follows a closed quoted field
        } else if (c === '"') {
          quotePending = true;
          continue;
        } else {
          field += c;
          continue;
        }
      }
      sawAny = true;
      if (c === '"' && field === '') {
        inQuotes = true;
      } else if (c === ',') {
        record.push(field);
        field = '';
      } else if (c === '\n') {
        record.push(field.endsWith('\r') ? field.slice(0, -1) : field);
        out.push(record);
        record = [];
        field = '';
        sawAny = false;
        held = 0;
      } else if (c === '\uFEFF' && field === '' && record.length === 0) {
        // A byte-order mark at the start of a record (Excel exports) is not data.
      } else {
        field += c;
      }
    }
    for (const r of out) yield r;
  }
  if (quotePending) inQuotes = false;
  if (inQuotes) throw new Error('CSV ends inside a quoted field');
  if (sawAny || record.length > 0) {
    record.push(field.endsWith('\r') ? field.slice(0, -1) : field);
    yield record;
  }
}
