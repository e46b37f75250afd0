import { Readable, Transform } from 'node:stream';

/** 100 MB: about 350,000 typical rows. Larger files are split into several imports (each is re-runnable). */
export const DEFAULT_IMPORT_MAX_BYTES = 100 * 1024 * 1024;

/**
 * `IMPORT_MAX_BYTES`: the most one `POST /referrals/import` request may send. The import streams, so
 * memory does not grow with the file; the limit bounds how long one request can hold a connection
 * and a database writer, and is the import route's counterpart of the 1 MB limit on JSON bodies.
 */
export function importMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.IMPORT_MAX_BYTES?.trim();
  if (!raw) return DEFAULT_IMPORT_MAX_BYTES;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`IMPORT_MAX_BYTES must be a whole number of bytes, got '${raw}'`);
  }
  return n;
}

export function describeBytes(n: number): string {
  return n >= 1024 * 1024 && n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MB` : `${n} bytes`;
}

/** The file went past IMPORT_MAX_BYTES while it streamed in. */
export class ImportTooLargeError extends Error {
  override name = 'ImportTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`the file is larger than the ${describeBytes(maxBytes)} import limit`);
  }
}

/**
 * The request body, failing with ImportTooLargeError once more than `maxBytes` have arrived (for
 * uploads without a Content-Length, or with a false one). Reading stops there: the rest is never parsed.
 */
export function limitBytes(input: Readable, maxBytes: number): Readable {
  let seen = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > maxBytes) {
        input.unpipe(counted);
        done(new ImportTooLargeError(maxBytes));
        return;
      }
      done(null, chunk);
    },
  });
  input.on('error', (err) => counted.destroy(err));
  return input.pipe(counted);
}
