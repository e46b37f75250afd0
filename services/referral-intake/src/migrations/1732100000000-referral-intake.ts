import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The network (PCNs and practices), referrals split into a de-identified row and an encrypted
 * identity row, the timeline, the offers projection, idempotency keys and the append-only audit log.
 */
export class ReferralIntake1732100000000 implements MigrationInterface {
  name = 'ReferralIntake1732100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "pcn" (
        "code" text PRIMARY KEY,
        "name" text NOT NULL,
        "ics_code" text NOT NULL,
        "offer_expiry_days" int NOT NULL DEFAULT 14,
        "auto_offer" boolean NOT NULL DEFAULT false,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE "practice" (
        "code" text PRIMARY KEY,
        "pcn_code" text NOT NULL REFERENCES "pcn" ("code"),
        "name" text NOT NULL,
        "postcode" text NOT NULL
      )`);
    await q.query(`CREATE INDEX "practice_pcn_idx" ON "practice" ("pcn_code")`);

    // De-identified: nothing here names a person; the person key is a keyed HMAC.
    await q.query(`
      CREATE TABLE "referral" (
        "id" uuid PRIMARY KEY,
        "pcn_code" text NOT NULL REFERENCES "pcn" ("code"),
        "practice_code" text NOT NULL REFERENCES "practice" ("code"),
        "needs" text[] NOT NULL,
        "status" text NOT NULL,
        "close_reason" text,
        "responsible_party" text NOT NULL,
        "possible_duplicate" boolean NOT NULL DEFAULT false,
        "linked_referral_id" uuid REFERENCES "referral" ("id"),
        "person_key" text NOT NULL,
        "age_band" text NOT NULL,
        "postcode_district" text NOT NULL,
        "preferred_language" text,
        "accessibility_needs" text[] NOT NULL DEFAULT '{}',
        "source" text NOT NULL,
        "consent_state" text NOT NULL DEFAULT 'none',
        "share_with_vcso" boolean NOT NULL DEFAULT false,
        "auto_offer" boolean,
        "created_by" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "referral_close_reason_ck" CHECK (("status" = 'closed') = ("close_reason" IS NOT NULL))
      )`);
    await q.query(
      `CREATE INDEX "referral_pcn_status_idx" ON "referral" ("pcn_code", "status", "created_at")`,
    );
    await q.query(`CREATE INDEX "referral_practice_idx" ON "referral" ("practice_code", "created_at")`);
    await q.query(
      `CREATE INDEX "referral_open_person_idx" ON "referral" ("pcn_code", "person_key")
         WHERE "status" NOT IN ('closed', 'completed')`,
    );

    // Identifiable values, each AES-256-GCM encrypted by the service; the database never sees plain text.
    await q.query(`
      CREATE TABLE "referral_identity" (
        "referral_id" uuid PRIMARY KEY REFERENCES "referral" ("id"),
        "nhs_number" text NOT NULL,
        "given_name" text NOT NULL,
        "family_name" text NOT NULL,
        "birth_date" text NOT NULL,
        "postcode" text NOT NULL,
        "phone" text,
        "email" text,
        "notes" text,
        "referrer_name" text NOT NULL,
        "referrer_role" text NOT NULL,
        "notes_for_vcso" text
      )`);

    await q.query(`
      CREATE TABLE "referral_timeline" (
        "id" bigserial PRIMARY KEY,
        "referral_id" uuid NOT NULL REFERENCES "referral" ("id"),
        "at" timestamptz NOT NULL,
        "kind" text NOT NULL,
        "detail" jsonb NOT NULL DEFAULT '{}',
        "ce_id" text NOT NULL UNIQUE
      )`);
    await q.query(
      `CREATE INDEX "referral_timeline_ref_idx" ON "referral_timeline" ("referral_id", "at", "id")`,
    );

    await q.query(`
      CREATE TABLE "referral_offer" (
        "offer_id" uuid PRIMARY KEY,
        "referral_id" uuid NOT NULL REFERENCES "referral" ("id"),
        "service_id" uuid NOT NULL,
        "organisation_id" text NOT NULL,
        "status" text NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX "referral_offer_ref_idx" ON "referral_offer" ("referral_id")`);

    await q.query(`
      CREATE TABLE "idempotency_key" (
        "caller" text NOT NULL,
        "key" text NOT NULL,
        "request_hash" text NOT NULL,
        -- Deferred: the key is claimed first, so a concurrent retry waits on it, then the referral follows.
        "referral_id" uuid NOT NULL REFERENCES "referral" ("id") DEFERRABLE INITIALLY DEFERRED,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("caller", "key")
      )`);

    await q.query(`
      CREATE TABLE "audit_log" (
        "id" bigserial PRIMARY KEY,
        "at" timestamptz NOT NULL DEFAULT clock_timestamp(),
        "actor_sub" text NOT NULL,
        "actor_role" text NOT NULL,
        "action" text NOT NULL,
        "referral_id" uuid,
        "fields" text[] NOT NULL,
        "reason" text NOT NULL
      )`);
    await q.query(`CREATE INDEX "audit_log_referral_idx" ON "audit_log" ("referral_id", "at")`);
    // Append-only for everyone, the service's own login included: history cannot be rewritten.
    await q.query(`
      CREATE FUNCTION "audit_log_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(
      `CREATE TRIGGER "audit_log_no_update_delete" BEFORE UPDATE OR DELETE ON "audit_log"
         FOR EACH ROW EXECUTE FUNCTION "audit_log_append_only"()`,
    );
    await q.query(
      `CREATE TRIGGER "audit_log_no_truncate" BEFORE TRUNCATE ON "audit_log"
         FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_append_only"()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "audit_log"`);
    await q.query(`DROP FUNCTION "audit_log_append_only"()`);
    await q.query(`DROP TABLE "idempotency_key"`);
    await q.query(`DROP TABLE "referral_offer"`);
    await q.query(`DROP TABLE "referral_timeline"`);
    await q.query(`DROP TABLE "referral_identity"`);
    await q.query(`DROP TABLE "referral"`);
    await q.query(`DROP TABLE "practice"`);
    await q.query(`DROP TABLE "pcn"`);
  }
}
