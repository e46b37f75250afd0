import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Wellbeing outcomes as intake publishes them (outcome.recorded.v1): one row per referral, measure and
 * stage, scores only. A baseline and a follow-up of the same referral and measure make a pair; the
 * follow-up's service and needs are the ones its change is counted under. `published_at` marks the
 * analytics twin as written (it waits for the referral's person key, age band and district).
 */
export class OutcomeRecords1733000000000 implements MigrationInterface {
  name = 'OutcomeRecords1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "outcome_record" (
        "outcome_id" uuid PRIMARY KEY,
        "referral_id" uuid NOT NULL,
        "pcn_code" text NOT NULL,
        "practice_code" text NOT NULL,
        "ics_code" text,
        "needs" text[] NOT NULL,
        "service_id" uuid,
        "organisation_id" uuid,
        "measure" text NOT NULL,
        "stage" text NOT NULL,
        "scores" smallint[] NOT NULL,
        "total" numeric(4, 2),
        "recorded_at" timestamptz NOT NULL,
        "published_at" timestamptz
      )`);
    await q.query(
      `CREATE UNIQUE INDEX "outcome_record_stage_uq" ON "outcome_record" ("referral_id", "measure", "stage")`,
    );
    await q.query(
      `CREATE INDEX "outcome_record_follow_up_idx" ON "outcome_record" ("ics_code", "pcn_code", "recorded_at")
         WHERE "stage" = 'follow-up'`,
    );
    await q.query(
      `CREATE INDEX "outcome_record_pending_idx" ON "outcome_record" ("referral_id") WHERE "published_at" IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "outcome_record"`);
  }
}
