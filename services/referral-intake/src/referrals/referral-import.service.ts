import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuthClaims } from '@sp/auth';
import { DomainError, NhsNumber, Postcode, ageBandFor, type AgeBand } from '@sp/domain';
import { OutboxWriter, type NewEvent } from '@sp/messaging';
import { flattenValidationErrors, bodyShapeProblems, type FieldProblem } from '@sp/platform';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { appendAuditMany } from '../audit/audit-log';
import { IntakeCrypto } from '../security/intake-crypto';
import { CreateReferralDto } from './referral.dto';
import type { ImportRow } from './referral-import-rows';
import {
  encryptedIdentity,
  IDENTITY_COLUMNS,
  identityFieldsWritten,
  newReferralEvents,
  receivedTimelineDetail,
  type NewReferralFacts,
} from './new-referral';
import { INTAKE_CRYPTO, ReferralService, referralScopeProblem } from './referral.service';
import { OPEN_STATUSES } from './referral-store';

/** What became of one input row. Errors name fields, never their values. */
export interface ImportRowResult {
  row: number;
  status: 'created' | 'duplicate' | 'refused';
  id?: string;
  errors?: FieldProblem[];
}

/** The last line of an import's report. */
export interface ImportSummary {
  rows: number;
  created: number;
  duplicates: number;
  refused: number;
  seconds: number;
}

/** Rows validated and written together: one transaction, a handful of statements. */
export const IMPORT_BATCH_ROWS = 200;

/**
 * An import analyses `referral` each time it has added this share of the rows the table had at the
 * last analysis (and at least IMPORT_ANALYZE_MIN_ROWS). See ImportStatistics.
 */
export const IMPORT_ANALYZE_GROWTH = 0.5;
export const IMPORT_ANALYZE_MIN_ROWS = 1_000;

/**
 * Keeps the planner's statistics of `referral` in step with a bulk load. Each batch looks rows up by
 * import key and by person among the open referrals; Postgres plans those from the table's statistics,
 * which a bulk load outdates at once. Without them (a table never analysed: autovacuum off, as on the
 * machines this project is tested on, or not yet caught up) both look-ups are planned as sequential
 * scans, and each batch reads the whole table twice: a 50,000-row import read 12.1 million rows in 496
 * scans. Postgres's documentation advises ANALYZE after bulk loading; this does it as the load goes,
 * when the table has grown by half. ANALYZE takes no lock that blocks reads or writes.
 */
class ImportStatistics {
  private analysedRows = -1;
  private addedSince = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly log: Logger,
  ) {}

  /** Counts rows just committed; analyses when due. Never fails the import: the rows are saved. */
  async added(rows: number): Promise<void> {
    this.addedSince += rows;
    try {
      if (this.analysedRows < 0) {
        const [{ n }]: { n: number }[] = await this.ds.query(
          `SELECT GREATEST(reltuples, 0)::float8 AS n FROM pg_class WHERE oid = 'referral'::regclass`,
        );
        this.analysedRows = n;
      }
      const due = Math.max(IMPORT_ANALYZE_MIN_ROWS, this.analysedRows * IMPORT_ANALYZE_GROWTH);
      if (this.addedSince < due) return;
      await this.ds.query('ANALYZE referral');
      this.analysedRows += this.addedSince;
      this.addedSince = 0;
    } catch (err) {
      this.log.warn(
        `could not refresh the statistics of referral: ${err instanceof Error ? err.name : 'error'}`,
      );
    }
  }
}

interface Prepared {
  row: number;
  id: string;
  importKey: string;
  dto: CreateReferralDto;
  nhsNumber: string;
  postcode: Postcode;
  ageBand: AgeBand;
  personKey: string;
  /** The referral_identity row, encrypted ahead of the write. */
  identity: unknown[];
}

interface PreparedBatch {
  rows: number[];
  refused: Map<number, ImportRowResult>;
  leaders: Map<string, Prepared>;
  followers: Prepared[];
}

/** Thrown inside a batch's transaction when a concurrent import claimed one of its keys first. */
class ImportRace extends Error {}

/**
 * Bulk intake: each row is validated exactly as `POST /referrals` validates a body (the same DTO and
 * the same domain checks), then each batch's good rows are written in one transaction with their
 * identity rows, audit entries, timeline and events (through the outbox). A row's import key (its
 * external id, or its normalised content, HMAC'd with the person-key secret) is unique, so a re-run
 * reports `duplicate` with the existing id and writes nothing.
 */
@Injectable()
export class ReferralImportService {
  private readonly log = new Logger('referral-import');

  constructor(
    private readonly ds: DataSource,
    private readonly referrals: ReferralService,
    private readonly outbox: OutboxWriter,
    @Inject(INTAKE_CRYPTO) private readonly crypto: IntakeCrypto,
  ) {}

  /**
   * Consumes `rows` a batch at a time (so the input is read no faster than it is written) and yields
   * one result per row, in row order.
   */
  async *run(user: AuthClaims, rows: AsyncIterable<ImportRow>): AsyncGenerator<ImportRowResult> {
    const practices = new Map<string, Promise<FieldProblem | null>>();
    const statistics = new ImportStatistics(this.ds, this.log);
    // One batch is written while the next is validated and encrypted: the database and this process
    // work at once. Writes stay one after another, so a later batch sees every key an earlier one wrote.
    let writing: Promise<{ ok: ImportRowResult[] } | { err: unknown }> | undefined;
    const finish = async (): Promise<ImportRowResult[]> => {
      if (!writing) return [];
      const done = await writing;
      writing = undefined;
      if ('err' in done) throw done.err;
      await statistics.added(done.ok.filter((r) => r.status === 'created').length);
      return done.ok;
    };
    const start = (prepared: PreparedBatch) => {
      // Settled into a value at once: a failure waits here for its turn instead of going unhandled.
      writing = this.commit(user, prepared).then(
        (ok) => ({ ok }),
        (err: unknown) => ({ err }),
      );
    };
    let batch: ImportRow[] = [];
    try {
      for await (const r of rows) {
        batch.push(r);
        if (batch.length >= IMPORT_BATCH_ROWS) {
          const prepared = await this.prepareBatch(user, batch, practices);
          batch = [];
          yield* await finish();
          start(prepared);
        }
      }
      if (batch.length) {
        const prepared = await this.prepareBatch(user, batch, practices);
        yield* await finish();
        start(prepared);
      }
    } catch (err) {
      // The file broke off (or a check failed): first report the batch already being written.
      yield* await finish();
      throw err;
    }
    yield* await finish();
  }

  /** One log line per import: counts only, never a value from the file. */
  logSummary(user: AuthClaims, s: ImportSummary): void {
    this.log.log(
      `import by ${user.role}: ${s.rows} rows, ${s.created} created, ${s.duplicates} duplicates, ` +
        `${s.refused} refused in ${s.seconds.toFixed(1)} s`,
    );
  }

  /** The kind of fault only: a driver's message may quote a value from the row. */
  logFailure(user: AuthClaims, afterRow: number, err: unknown): void {
    const kind = err instanceof Error ? err.name : typeof err;
    const code = (err as { code?: unknown } | null)?.code;
    this.log.error(
      `import by ${user.role} stopped after row ${afterRow}: ${kind}${typeof code === 'string' ? ` (${code})` : ''}`,
    );
  }

  private async prepareBatch(
    user: AuthClaims,
    rows: ImportRow[],
    practices: Map<string, Promise<FieldProblem | null>>,
  ): Promise<PreparedBatch> {
    const refused = new Map<number, ImportRowResult>();
    const leaders = new Map<string, Prepared>();
    const followers: Prepared[] = [];
    for (const r of rows) {
      const outcome = await this.prepare(user, r, practices);
      if ('errors' in outcome) refused.set(r.row, { row: r.row, status: 'refused', errors: outcome.errors });
      // The same row twice in one batch: the second is a duplicate of the first.
      else if (leaders.has(outcome.importKey)) followers.push(outcome);
      else leaders.set(outcome.importKey, outcome);
    }
    return { rows: rows.map((r) => r.row), refused, leaders, followers };
  }

  private async commit(user: AuthClaims, b: PreparedBatch): Promise<ImportRowResult[]> {
    let written: Map<string, { id: string; created: boolean }>;
    try {
      written = await this.write(user, [...b.leaders.values()]);
    } catch (err) {
      if (!(err instanceof ImportRace)) throw err;
      // Another import committed some of these keys meanwhile: this time they read as duplicates.
      written = await this.write(user, [...b.leaders.values()]);
    }
    const results = b.refused;
    for (const p of b.leaders.values()) {
      const w = written.get(p.importKey)!;
      results.set(p.row, { row: p.row, status: w.created ? 'created' : 'duplicate', id: w.id });
    }
    for (const p of b.followers) {
      results.set(p.row, { row: p.row, status: 'duplicate', id: written.get(p.importKey)!.id });
    }
    return b.rows.map((row) => results.get(row)!);
  }

  private async prepare(
    user: AuthClaims,
    r: ImportRow,
    practices: Map<string, Promise<FieldProblem | null>>,
  ): Promise<Prepared | { errors: FieldProblem[] }> {
    if (r.errors || !r.body) return { errors: r.errors ?? [{ field: 'row', message: 'is empty' }] };
    // As at every JSON edge: prototype keys and absurd nesting are refused before class-transformer.
    const shape = bodyShapeProblems(r.body);
    if (shape.length) return { errors: shape };
    const dto = plainToInstance(CreateReferralDto, r.body);
    // The DTO has no asynchronous constraints: the synchronous pass is the same check, cheaper.
    const invalid = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
    if (invalid.length) return { errors: flattenValidationErrors(invalid) };

    const scope = referralScopeProblem(user, dto.pcnCode, dto.practiceCode);
    if (scope) return { errors: [scope] };
    const practiceKey = `${dto.pcnCode}|${dto.practiceCode}`;
    let practice = practices.get(practiceKey);
    if (!practice) {
      practice = this.referrals.practiceProblem(this.ds.manager, dto.pcnCode, dto.practiceCode);
      practices.set(practiceKey, practice);
    }
    const practiceProblem = await practice;
    if (practiceProblem) return { errors: [practiceProblem] };

    let nhsNumber: string;
    let postcode: Postcode;
    let ageBand: AgeBand;
    try {
      nhsNumber = NhsNumber.parse(dto.patient.nhsNumber, 'patient.nhsNumber').value;
      postcode = Postcode.parse(dto.patient.postcode, 'patient.postcode');
      ageBand = ageBandFor(dto.patient.birthDate);
    } catch (err) {
      if (err instanceof DomainError) return { errors: [{ field: err.field, message: err.reason }] };
      throw err;
    }

    const p = dto.patient;
    const importKey = r.externalId
      ? `x:${this.crypto.fingerprint({ pcnCode: dto.pcnCode, externalId: r.externalId })}`
      : `c:${this.crypto.fingerprint({
          pcnCode: dto.pcnCode,
          practiceCode: dto.practiceCode,
          referrer: { name: dto.referrer.name.trim(), role: dto.referrer.role.trim() },
          patient: {
            nhsNumber,
            givenName: p.givenName.trim(),
            familyName: p.familyName.trim(),
            birthDate: p.birthDate,
            postcode: postcode.value,
            phone: p.phone?.trim() || undefined,
            email: p.email?.trim().toLowerCase() || undefined,
            preferredLanguage: p.preferredLanguage,
            accessibilityNeeds: [...(p.accessibilityNeeds ?? [])].sort(),
          },
          needs: [...dto.needs].sort(),
          notes: dto.notes?.trim() || undefined,
        })}`;
    const id = randomUUID();
    const identity = encryptedIdentity(this.crypto.cipher, id, dto, nhsNumber, postcode);
    return {
      row: r.row,
      id,
      importKey,
      dto,
      nhsNumber,
      postcode,
      ageBand,
      personKey: this.crypto.personKey(nhsNumber),
      identity,
    };
  }

  /** Writes the rows whose keys are new, in one transaction; answers each key's referral id. */
  private async write(
    user: AuthClaims,
    rows: Prepared[],
  ): Promise<Map<string, { id: string; created: boolean }>> {
    const out = new Map<string, { id: string; created: boolean }>();
    if (rows.length === 0) return out;
    await this.ds.transaction(async (m) => {
      const existing: { id: string; import_key: string }[] = await m.query(
        `SELECT id, import_key FROM referral WHERE import_key = ANY($1::text[])`,
        [rows.map((r) => r.importKey)],
      );
      for (const e of existing) out.set(e.import_key, { id: e.id, created: false });
      const fresh = rows.filter((r) => !out.has(r.importKey));
      if (fresh.length === 0) return;

      // The same locks as single intake, taken in one order: a person's referrals still get linked.
      const lockKeys = [...new Set(fresh.map((r) => `referral:${r.dto.pcnCode}:${r.personKey}`))];
      await m.query(
        `SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest($1::text[]) AS k ORDER BY hashtext(k), k`,
        [lockKeys],
      );
      const open: { id: string; pcn_code: string; person_key: string }[] = await m.query(
        `SELECT DISTINCT ON (pcn_code, person_key) id, pcn_code, person_key FROM referral
          WHERE status = ANY($3) AND status NOT IN ('closed', 'completed')
            AND (pcn_code, person_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
          ORDER BY pcn_code, person_key, created_at`,
        [fresh.map((r) => r.dto.pcnCode), fresh.map((r) => r.personKey), OPEN_STATUSES],
      );
      const firstOpen = new Map(open.map((o) => [`${o.pcn_code}:${o.person_key}`, o.id]));
      const now = new Date();

      const referralRows: unknown[][] = [];
      const identityRows: unknown[][] = [];
      const timelineRows: unknown[][] = [];
      const events: NewEvent<unknown>[] = [];
      const audits: Parameters<typeof appendAuditMany>[1] = [];
      for (const r of fresh) {
        const { dto, id } = r;
        const p = dto.patient;
        const person = `${dto.pcnCode}:${r.personKey}`;
        const linked = firstOpen.get(person);
        if (!linked) firstOpen.set(person, id);
        referralRows.push([
          id,
          dto.pcnCode,
          dto.practiceCode,
          dto.needs,
          !!linked,
          linked ?? null,
          r.personKey,
          r.ageBand,
          r.postcode.district,
          p.preferredLanguage ?? null,
          p.accessibilityNeeds ?? [],
          user.sub,
          now,
          r.importKey,
        ]);
        identityRows.push(r.identity);
        audits.push({
          actor: user,
          action: 'write',
          referralId: id,
          fields: identityFieldsWritten(dto),
          reason: 'referral-imported',
        });
        const facts: NewReferralFacts = {
          id,
          receivedId: randomUUID(),
          dto,
          personKey: r.personKey,
          ageBand: r.ageBand,
          postcode: r.postcode,
          linkedReferralId: linked,
          source: 'import',
          now,
        };
        events.push(...newReferralEvents(facts));
        timelineRows.push([
          id,
          now,
          'received',
          JSON.stringify(receivedTimelineDetail(facts)),
          facts.receivedId,
        ]);
      }

      const inserted: { id: string }[] = await insertMany(
        m,
        `referral (id, pcn_code, practice_code, needs, possible_duplicate, linked_referral_id, person_key, age_band,
           postcode_district, preferred_language, accessibility_needs, created_by, created_at, import_key)`,
        referralRows,
        {
          // Status, party, source and updated_at are the same for every row: written as constants.
          constants: {
            columns: `status, responsible_party, source, updated_at`,
            values: `'awaiting-consent', 'referrer', 'import', now()`,
          },
          suffix: `ON CONFLICT (import_key) DO NOTHING RETURNING id`,
        },
      );
      if (inserted.length !== fresh.length) throw new ImportRace();
      await insertMany(m, `referral_identity (${IDENTITY_COLUMNS})`, identityRows);
      await insertMany(m, `referral_timeline (referral_id, at, kind, detail, ce_id)`, timelineRows);
      await appendAuditMany(m, audits);
      await this.outbox.enqueueMany(m, events);
      for (const r of fresh) out.set(r.importKey, { id: r.id, created: true });
    });
    return out;
  }
}

/**
 * One multi-row INSERT. `constants` adds columns whose value is the same SQL for every row (appended
 * after the parameterised ones).
 */
async function insertMany<T = unknown>(
  m: EntityManager,
  target: string,
  rows: unknown[][],
  opts: { suffix?: string; constants?: { columns: string; values: string } } = {},
): Promise<T[]> {
  const { suffix = '', constants } = opts;
  const params: unknown[] = [];
  const tuples = rows.map((row) => {
    const ph = row.map((v) => {
      params.push(v);
      return `$${params.length}`;
    });
    return `(${ph.join(', ')}${constants ? `, ${constants.values}` : ''})`;
  });
  const columns = constants ? target.replace(/\)\s*$/, `, ${constants.columns})`) : target;
  return m.query(`INSERT INTO ${columns} VALUES ${tuples.join(', ')} ${suffix}`, params) as Promise<T[]>;
}
