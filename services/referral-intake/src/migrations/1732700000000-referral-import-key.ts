import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bulk import's re-run guard: each imported row's key (a keyed HMAC of its external id, or of its
 * normalised content) is unique, so importing the same file again writes nothing new.
 */
export class ReferralImportKey1732700000000 implements MigrationInterface {
  name = 'ReferralImportKey1732700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "referral" ADD COLUMN "import_key" text`);
    await q.query(`CREATE UNIQUE INDEX "referral_import_key_uq" ON "referral" ("import_key")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "referral_import_key_uq"`);
    await q.query(`ALTER TABLE "referral" DROP COLUMN "import_key"`);
  }
}
