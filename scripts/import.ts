/**
 * `npm run import -- <kind> FILE [...]`: bulk loads.
 *   postcodes FILE   postcode geography (ONS/NHS Postcode Directory columns, or district centroids)
 *                    into vcso-capacity's database and matching's (matching measures people's
 *                    district centroids against services with it), from one read of the file.
 *   referrals FILE [--pcn U00001] [--url http://localhost:3000] [--report FILE]
 *                    (the default URL is the gateway's port, GATEWAY_PORT or 3000 + SP_PORT_OFFSET,
 *                    as npm start serves it)
 *                    streams a CSV or NDJSON file (by extension) to the running platform's
 *                    POST /api/v1/referrals/import with a dev token (pcn_ops of --pcn, or of the
 *                    first row's PCN), shows progress on stderr, writes the per-row report to
 *                    --report (default FILE.report.ndjson) and prints the summary.
 */
import { mintDevToken } from '@sp/auth';
import { csvRecords, servicePort } from '@sp/platform';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { loadPostcodeGeography } from './postcode-geography';

const USAGE =
  'usage: npm run import -- postcodes FILE | referrals FILE [--pcn U00001] [--url http://localhost:3000] [--report FILE]';
const NOT_RUNNING = 'start the platform first: npm start';
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

async function importPostcodeFile(file: string): Promise<number> {
  const result = await loadPostcodeGeography(createReadStream(file), {
    onProgress: (rows, loaded) => process.stderr.write(`\r  ${rows} rows read, ${loaded} loaded`),
  });
  process.stderr.write('\n');
  console.log(
    `postcodes: ${result.rows} rows, ${result.loaded} loaded, ${result.rejectedCount} rejected in ${result.seconds.toFixed(1)} s`,
  );
  // Line numbers and reasons only: a row's values stay out of the output.
  for (const r of result.rejected) console.log(`  line ${r.line}: ${r.reason}`);
  if (result.rejectedCount > result.rejected.length) {
    console.log(`  ... and ${result.rejectedCount - result.rejected.length} more`);
  }
  return 0;
}

interface ReferralImportOptions {
  pcn?: string;
  url: string;
  report: string;
}

interface ReportLine {
  row?: number;
  status?: 'created' | 'duplicate' | 'refused';
  errors?: { field: string; message: string }[];
  summary?: { rows: number; created: number; duplicates: number; refused: number; seconds: number };
  error?: { message: string };
}

/** The first data row's PCN, so that `--pcn` may be left out for a single-PCN file. */
async function firstRowPcn(file: string, csv: boolean): Promise<string | undefined> {
  const head = createReadStream(file, { start: 0, end: 256 * 1024 - 1 });
  try {
    if (csv) {
      let header: string[] | undefined;
      for await (const record of csvRecords(head)) {
        if (!header) header = record.map((h) => h.trim());
        else return record[header.indexOf('pcnCode')]?.trim() || undefined;
      }
      return undefined;
    }
    let text = '';
    for await (const chunk of head) {
      text += (chunk as Buffer).toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        text = text.slice(0, nl);
        break;
      }
    }
    const first = JSON.parse(text) as { pcnCode?: unknown };
    return typeof first.pcnCode === 'string' ? first.pcnCode : undefined;
  } catch {
    return undefined;
  } finally {
    head.destroy();
  }
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

async function importReferralFile(file: string, opts: ReferralImportOptions): Promise<number> {
  const lower = file.toLowerCase();
  const csv = lower.endsWith('.csv');
  if (!csv && !lower.endsWith('.ndjson') && !lower.endsWith('.jsonl')) {
    console.error('import referrals: FILE must end in .csv, .ndjson or .jsonl');
    return 64;
  }
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    console.error(`import referrals: cannot read ${file}`);
    return 66;
  }
  const pcn = opts.pcn ?? (await firstRowPcn(file, csv));
  if (!pcn) {
    console.error('import referrals: pass --pcn U00001 (the PCN whose rows these are)');
    return 64;
  }
  const token = await mintDevToken({ sub: 'import-cli', role: 'pcn_ops', pcn });

  let sent = 0;
  let reported = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      done(null, chunk);
    },
  });
  const source = createReadStream(file).pipe(counting);
  const started = Date.now();
  const width = 30;
  const draw = () => {
    const share = size ? Math.min(1, sent / size) : 1;
    const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '-');
    process.stderr.write(
      `\r  [${bar}] ${(share * 100).toFixed(0).padStart(3)}%  ${mb(sent)}/${mb(size)} MB sent, ${reported} rows reported`,
    );
  };
  const ticker = setInterval(draw, 200);

  const report = createWriteStream(opts.report);
  let summary: ReportLine['summary'];
  let failure: string | undefined;
  const refusedSample: string[] = [];
  try {
    let res: Response;
    try {
      res = await fetch(`${opts.url.replace(/\/+$/, '')}/api/v1/referrals/import`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': csv ? 'text/csv' : 'application/x-ndjson',
        },
        body: Readable.toWeb(source) as ReadableStream<Uint8Array>,
        duplex: 'half',
      } as RequestInit & { duplex: 'half' });
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code;
      if (code && UNREACHABLE.has(code)) {
        clearInterval(ticker);
        process.stderr.write('\n');
        console.error(NOT_RUNNING);
        return 2;
      }
      throw err;
    }
    if (!res.ok || !res.body) {
      const text = await res.text();
      clearInterval(ticker);
      process.stderr.write('\n');
      console.error(`import referrals: the platform answered ${res.status}`);
      try {
        const problem = JSON.parse(text) as {
          detail?: string;
          errors?: { field: string; message: string }[];
        };
        for (const e of problem.errors ?? []) console.error(`  ${e.field}: ${e.message}`);
        if (!problem.errors?.length && problem.detail) console.error(`  ${problem.detail}`);
      } catch {
        // Not problem+json (a proxy's page, say): the status says enough.
      }
      return 1;
    }

    const decoder = new TextDecoder();
    let pending = '';
    const take = async (line: string) => {
      if (!line.trim()) return;
      const parsed = JSON.parse(line) as ReportLine;
      if (parsed.summary) summary = parsed.summary;
      else if (parsed.error) failure = parsed.error.message;
      else {
        reported++;
        if (parsed.status === 'refused' && refusedSample.length < 10) {
          refusedSample.push(
            `  row ${parsed.row}: ${(parsed.errors ?? []).map((e) => `${e.field} ${e.message}`).join('; ')}`,
          );
        }
      }
      if (!report.write(`${line}\n`)) await once(report, 'drain');
    };
    for await (const chunk of res.body) {
      pending += decoder.decode(chunk, { stream: true });
      let nl: number;
      let start = 0;
      while ((nl = pending.indexOf('\n', start)) >= 0) {
        await take(pending.slice(start, nl));
        start = nl + 1;
      }
      pending = pending.slice(start);
    }
    await take(pending + decoder.decode());
  } finally {
    clearInterval(ticker);
    report.end();
    await once(report, 'close');
  }
  draw();
  process.stderr.write('\n');

  if (failure) console.error(`import referrals: ${failure}`);
  if (!summary) {
    console.error(
      'import referrals: the platform closed the answer before its summary; re-run the file to continue',
    );
    return 1;
  }
  const secs = (Date.now() - started) / 1000;
  const rate = secs > 0 ? Math.round(summary.rows / secs) : summary.rows;
  console.log(
    `referrals: ${summary.rows} rows, ${summary.created} created, ${summary.duplicates} duplicates, ` +
      `${summary.refused} refused in ${secs.toFixed(1)} s (${rate} rows/s)`,
  );
  // Row numbers and field names only: the report never carries a value from the file.
  for (const line of refusedSample) console.log(line);
  if (summary.refused > refusedSample.length)
    console.log(`  ... and ${summary.refused - refusedSample.length} more`);
  console.log(`report: ${opts.report}`);
  return failure ? 1 : 0;
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const [kind, file] = argv;
  switch (kind) {
    case 'postcodes':
      if (!file) break;
      return importPostcodeFile(file);
    case 'referrals':
      if (!file || file.startsWith('--')) break;
      return importReferralFile(file, {
        pcn: flag(argv, '--pcn'),
        url: flag(argv, '--url') ?? `http://localhost:${servicePort('gateway')}`,
        report: flag(argv, '--report') ?? `${file}.report.ndjson`,
      });
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
