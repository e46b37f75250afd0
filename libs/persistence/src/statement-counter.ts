import { Counter, register } from 'prom-client';
import type { Logger as TypeOrmLogger } from 'typeorm';

const NAME = 'sp_db_statements_total';

/** Statements sent to Postgres by this process, on the default registry (each service's /metrics). */
export const dbStatements: Counter<string> =
  (register.getSingleMetric(NAME) as Counter<string>) ??
  new Counter({
    name: NAME,
    help: 'SQL statements sent to Postgres (BEGIN and COMMIT included)',
    labelNames: [],
  });

/**
 * TypeORM's logger, used only to count statements: each is a round trip, a load on Postgres that
 * the benchmark reports per referral (cutting them by a quarter did not measurably lower a
 * referral's CPU on the 2-core machine, so this is a count of load, not of cost). It writes nothing: TypeORM's own logging prints failing queries with their parameters, which can be
 * personal data; errors are reported by their callers instead.
 */
export class StatementCounter implements TypeOrmLogger {
  logQuery(): void {
    dbStatements.inc();
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}
