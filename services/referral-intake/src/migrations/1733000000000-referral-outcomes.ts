import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Wellbeing outcomes (ONS4, SWEMWBS) of a referral. Scores only, never free text. One baseline and one
 * follow-up per measure per referral, held by a unique index so that racing requests cannot both land.
 */
export class ReferralOutcomes1733000000000 implements MigrationInterface {
  name = 'ReferralOutcomes1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "referral_outcome" (
        "id" uuid PRIMARY KEY,
        "referral_id" uuid NOT NULL REFERENCES "referral" ("id"),
        "measure" text NOT NULL,
        "stage" text NOT NULL,
        "scores" smallint[] NOT NULL,
        -- The SWEMWBS metric score (7.00-35.00); ONS4 has no summary score.
        "total" numeric(4, 2),
        -- The service of the referral's accepted (else latest) offer when it was recorded, if any.
        "service_id" uuid,
        "organisation_id" text,
        "recorded_by" text NOT NULL,
        "recorded_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "referral_outcome_stage_ck" CHECK ("stage" IN ('baseline', 'follow-up')),
        CONSTRAINT "referral_outcome_scores_ck" CHECK (
          ("measure" = 'ons4' AND cardinality("scores") = 4 AND 0 <= ALL ("scores") AND 10 >= ALL ("scores")
             AND "total" IS NULL)
          OR ("measure" = 'swemwbs' AND cardinality("scores") = 7 AND 1 <= ALL ("scores") AND 5 >= ALL ("scores")
             AND "total" BETWEEN 7 AND 35))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX "referral_outcome_stage_uq" ON "referral_outcome" ("referral_id", "measure", "stage")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "referral_outcome"`);
  }
}
