import {
  Controller,
  PayloadTooLargeException,
  Post,
  Req,
  Res,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, Roles, type AuthClaims } from '@sp/auth';
import { BodyMediaTypes, CsvRecordTooLongError, discardUnreadBody, ValidationProblem } from '@sp/platform';
import type { Request, Response } from 'express';
import { describeBytes, importMaxBytes, ImportTooLargeError, limitBytes } from './referral-import-limit';
import { ImportFormatError, ndjsonImportRows, openCsvImport, type ImportRow } from './referral-import-rows';
import { ReferralImportService, type ImportSummary } from './referral-import.service';

const CSV = ['text/csv', 'application/csv'];
const NDJSON = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];

/** Resolves once the response can take more, or the client has gone. */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * `POST /referrals/import`: CSV or NDJSON in, one NDJSON report line per row out, then a summary.
 * Both directions stream: rows are read a batch at a time and the next batch waits for the report
 * to drain, so memory stays flat however long the file.
 */
@ApiTags('referrals')
@ApiBearerAuth()
@Controller('referrals')
export class ReferralImportController {
  private readonly maxBytes = importMaxBytes();

  constructor(private readonly imports: ReferralImportService) {}

  @Post('import')
  @Roles('referrer', 'link_worker', 'pcn_ops')
  @ApiOperation({
    summary: 'Bulk import (text/csv with a header row, or application/x-ndjson of POST /referrals bodies)',
    description:
      'Each line of the application/x-ndjson answer is {row, status: created|duplicate|refused, id?, errors?}; ' +
      'the last is {summary: {rows, created, duplicates, refused, seconds}}. Re-running a file creates nothing new. ' +
      'A file is at most IMPORT_MAX_BYTES (100 MB by default): a larger declared Content-Length is a 413 before ' +
      'anything is read; an upload that runs past it stops there with an error line (rows reported are saved).',
  })
  @ApiPayloadTooLargeResponse({ description: 'Content-Length above IMPORT_MAX_BYTES.' })
  @BodyMediaTypes(...CSV, ...NDJSON)
  @ApiProduces('application/x-ndjson')
  async import(@CurrentUser() user: AuthClaims, @Req() req: Request, @Res() res: Response): Promise<void> {
    // However the answer ends (a 413, a stop at the limit, a bad header row), a client still sending
    // gets to finish and read it rather than a reset connection.
    res.once('finish', () => discardUnreadBody(req));
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.maxBytes) {
      throw new PayloadTooLargeException(
        `an import is at most ${describeBytes(this.maxBytes)}; split the file into several imports`,
      );
    }
    const body = limitBytes(req, this.maxBytes);
    let rows: AsyncIterable<ImportRow>;
    if (CSV.includes(type)) {
      try {
        rows = await openCsvImport(body);
      } catch (err) {
        if (err instanceof ImportFormatError) throw new ValidationProblem(err.problems);
        if (err instanceof ImportTooLargeError) throw new PayloadTooLargeException(err.message);
        if (err instanceof CsvRecordTooLongError) {
          throw new ValidationProblem([{ field: 'header', message: err.message }]);
        }
        throw err;
      }
    } else if (NDJSON.includes(type)) {
      rows = ndjsonImportRows(body);
    } else {
      throw new UnsupportedMediaTypeException('send text/csv (with a header row) or application/x-ndjson');
    }

    const started = Date.now();
    const summary: ImportSummary = { rows: 0, created: 0, duplicates: 0, refused: 0, seconds: 0 };
    res.status(200);
    res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.flushHeaders();
    const send = async (line: unknown): Promise<void> => {
      if (res.destroyed) return;
      if (!res.write(`${JSON.stringify(line)}\n`)) await drained(res);
    };
    try {
      for await (const r of this.imports.run(user, rows)) {
        summary.rows++;
        if (r.status === 'created') summary.created++;
        else if (r.status === 'duplicate') summary.duplicates++;
        else summary.refused++;
        await send(r);
        // The client went away: stop reading; what was committed stays, and a re-run resumes safely.
        if (res.destroyed || res.writableEnded) break;
      }
    } catch (err) {
      // A fault of the file's shape (CSV quotes) or of the database: say which, never a value.
      const message =
        err instanceof ImportTooLargeError
          ? `${err.message}: the import stopped after row ${summary.rows}; rows reported above are saved, ` +
            'import the rest of the file separately'
          : err instanceof CsvRecordTooLongError || (err instanceof Error && /quoted field/.test(err.message))
            ? `the file cannot be read past row ${summary.rows}: ${err.message}`
            : `the import stopped after row ${summary.rows}; rows reported above are saved, re-run the file to continue`;
      await send({ error: { message } });
      this.imports.logFailure(user, summary.rows, err);
    }
    summary.seconds = (Date.now() - started) / 1000;
    this.imports.logSummary(user, summary);
    if (!res.destroyed) {
      await send({ summary });
      res.end();
    }
  }
}
