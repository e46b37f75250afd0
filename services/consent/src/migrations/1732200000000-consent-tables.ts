import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The consent service's own tables: a projection of the referrals intake announces (just enough to
 * scope and lock a decision), and the append-only consent history. A trigger keeps the history honest:
 * rows are never deleted, and the only change a row may ever see is its withdrawal, recorded once.
 */
export class ConsentTables1732200000000 implements MigrationInterface {
  name = 'ConsentTables1732200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "referral_projection" (
        "referral_id" uuid PRIMARY KEY,
        "pcn_code" text NOT NULL,
        "practice_code" text,
        "status" text NOT NULL,
        "close_reason" text,
        "closed" boolean NOT NULL DEFAULT false,
        "status_at" timestamptz NOT NULL,
        "received_at" timestamptz,
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE "consents" (
        "id" uuid PRIMARY KEY,
        "referral_id" uuid NOT NULL REFERENCES "referral_projection" ("referral_id"),
        "pcn_code" text NOT NULL,
        "decision" text NOT NULL CHECK ("decision" IN ('granted', 'declined')),
        "method" text NOT NULL CHECK ("method" IN ('verbal', 'written', 'digital')),
        "share_with_vcso" boolean NOT NULL,
        "recorded_by_sub" text NOT NULL,
        "recorded_by_role" text NOT NULL,
        "recorded_at" timestamptz NOT NULL,
        "withdrawn_at" timestamptz,
        "withdrawn_by_sub" text,
        "withdrawn_by_role" text,
        "withdrawal_reason" text,
        CONSTRAINT "consents_only_grants_withdrawn" CHECK ("withdrawn_at" IS NULL OR "decision" = 'granted'),
        CONSTRAINT "consents_withdrawal_complete" CHECK (
          ("withdrawn_at" IS NULL) = ("withdrawn_by_sub" IS NULL) AND
          ("withdrawn_at" IS NULL) = ("withdrawn_by_role" IS NULL) AND
          ("withdrawn_at" IS NOT NULL OR "withdrawal_reason" IS NULL))
      )`);
    await q.query(`CREATE INDEX "consents_referral_idx" ON "consents" ("referral_id", "recorded_at" DESC)`);
    // Belt and braces beside the per-referral row lock: at most one decision stands per referral.
    await q.query(
      `CREATE UNIQUE INDEX "consents_one_standing_idx" ON "consents" ("referral_id") WHERE "withdrawn_at" IS NULL`,
    );
    await q.query(`
      CREATE FUNCTION "consents_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          RAISE EXCEPTION 'consents are append-only: a consent record is never deleted';
        END IF;
        IF OLD."withdrawn_at" IS NOT NULL OR NEW."withdrawn_at" IS NULL
           OR (NEW."id", NEW."referral_id", NEW."pcn_code", NEW."decision", NEW."method", NEW."share_with_vcso",
               NEW."recorded_by_sub", NEW."recorded_by_role", NEW."recorded_at")
              IS DISTINCT FROM
              (OLD."id", OLD."referral_id", OLD."pcn_code", OLD."decision", OLD."method", OLD."share_with_vcso",
               OLD."recorded_by_sub", OLD."recorded_by_role", OLD."recorded_at")
        THEN
          RAISE EXCEPTION 'consents are append-only: only a withdrawal may be recorded, once';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(
      `CREATE TRIGGER "consents_append_only_trg" BEFORE UPDATE OR DELETE ON "consents"
       FOR EACH ROW EXECUTE FUNCTION "consents_append_only"()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER "consents_append_only_trg" ON "consents"`);
    await q.query(`DROP FUNCTION "consents_append_only"()`);
    await q.query(`DROP TABLE "consents"`);
    await q.query(`DROP TABLE "referral_projection"`);
  }
}
