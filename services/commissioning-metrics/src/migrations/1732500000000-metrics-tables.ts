import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The commissioning projections. Every row is built from events, so nothing here is identifiable: a
 * referral appears as its id, the platform's person key, an age band and a postcode district. Events
 * from different topics arrive in any order, so every column is filled by an upsert that keeps the
 * earliest time for a milestone and the newest for a status.
 */
export class MetricsTables1732500000000 implements MigrationInterface {
  name = 'MetricsTables1732500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "referral_fact" (
        "referral_id" uuid PRIMARY KEY,
        "pcn_code" text,
        "practice_code" text,
        "ics_code" text,
        "person_key" text,
        "age_band" text,
        "postcode_district" text,
        "needs" text[] NOT NULL DEFAULT '{}',
        "status" text,
        "status_at" timestamptz,
        "received_at" timestamptz,
        "consented_at" timestamptz,
        "consent_declined_at" timestamptz,
        "consent_withdrawn_at" timestamptz,
        "assessed_at" timestamptz,
        "first_offer_at" timestamptz,
        "waitlisted_at" timestamptz,
        "accepted_at" timestamptz,
        "completed_at" timestamptz,
        "did_not_attend_at" timestamptz,
        "closed_at" timestamptz,
        "close_reason" text,
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX "referral_fact_pcn_idx" ON "referral_fact" ("pcn_code", "received_at")`);
    await q.query(`CREATE INDEX "referral_fact_ics_idx" ON "referral_fact" ("ics_code", "received_at")`);
    // Status changes whose analytics twin waits for the referral's details (person key, age band...).
    await q.query(`
      CREATE TABLE "status_change" (
        "id" bigserial PRIMARY KEY,
        "referral_id" uuid NOT NULL,
        "from_status" text,
        "to_status" text NOT NULL,
        "at" timestamptz NOT NULL,
        "published_at" timestamptz
      )`);
    await q.query(
      `CREATE INDEX "status_change_pending_idx" ON "status_change" ("referral_id") WHERE "published_at" IS NULL`,
    );
    await q.query(`
      CREATE TABLE "service_load" (
        "service_id" uuid PRIMARY KEY,
        "organisation_id" uuid NOT NULL,
        "ics_code" text,
        "needs" text[] NOT NULL DEFAULT '{}',
        "postcode_district" text,
        "active" integer NOT NULL DEFAULT 0,
        "reserved" integer NOT NULL DEFAULT 0,
        "max_active" integer NOT NULL DEFAULT 0,
        "weekly_intake" integer NOT NULL DEFAULT 0,
        "offers_this_week" integer NOT NULL DEFAULT 0,
        "utilisation" double precision NOT NULL DEFAULT 0,
        "status" text NOT NULL DEFAULT 'open',
        "changed_at" timestamptz,
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE "service_load_history" (
        "id" bigserial PRIMARY KEY,
        "service_id" uuid NOT NULL,
        "at" timestamptz NOT NULL,
        "active" integer NOT NULL,
        "reserved" integer NOT NULL,
        "max_active" integer NOT NULL,
        "weekly_intake" integer NOT NULL,
        "offers_this_week" integer NOT NULL,
        "utilisation" double precision NOT NULL,
        "status" text NOT NULL,
        "reason" text
      )`);
    await q.query(`CREATE INDEX "service_load_history_idx" ON "service_load_history" ("service_id", "at")`);
    // One row per offer: what became of the places each service was offered.
    await q.query(`
      CREATE TABLE "offer_fact" (
        "offer_id" uuid PRIMARY KEY,
        "referral_id" uuid NOT NULL,
        "service_id" uuid NOT NULL,
        "organisation_id" uuid NOT NULL,
        "pcn_code" text NOT NULL,
        "ics_code" text,
        "made_at" timestamptz,
        "accepted_at" timestamptz,
        "declined_at" timestamptz,
        "expired_at" timestamptz,
        "cancelled_at" timestamptz,
        "completed_at" timestamptz,
        "did_not_attend_at" timestamptz
      )`);
    await q.query(`CREATE INDEX "offer_fact_service_idx" ON "offer_fact" ("service_id", "made_at")`);
    await q.query(`
      CREATE TABLE "unmet_need" (
        "referral_id" uuid NOT NULL,
        "need" text NOT NULL,
        "pcn_code" text NOT NULL,
        "ics_code" text,
        "postcode_district" text NOT NULL,
        "reason" text NOT NULL,
        "at" timestamptz NOT NULL,
        PRIMARY KEY ("referral_id", "need")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "unmet_need"`);
    await q.query(`DROP TABLE "offer_fact"`);
    await q.query(`DROP TABLE "service_load_history"`);
    await q.query(`DROP TABLE "service_load"`);
    await q.query(`DROP TABLE "status_change"`);
    await q.query(`DROP TABLE "referral_fact"`);
  }
}
