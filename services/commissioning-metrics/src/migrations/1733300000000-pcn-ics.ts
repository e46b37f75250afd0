import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which ICS each PCN sits in, as pcn.registered.v1 last said (the latest `registered_at` wins). PCNs
 * missing here fall back to the environment's PCN_ICS_MAP / DEFAULT_ICS_CODE (see IcsDirectory).
 */
export class PcnIcs1733300000000 implements MigrationInterface {
  name = 'PcnIcs1733300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "pcn_ics" (
        "pcn_code" text PRIMARY KEY,
        "ics_code" text NOT NULL,
        "registered_at" timestamptz NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    // Re-attributing a PCN's rows finds them by PCN; referral_fact has its index already.
    await q.query(`CREATE INDEX "offer_fact_pcn_idx" ON "offer_fact" ("pcn_code")`);
    await q.query(`CREATE INDEX "unmet_need_pcn_idx" ON "unmet_need" ("pcn_code")`);
    await q.query(`CREATE INDEX "outcome_record_pcn_idx" ON "outcome_record" ("pcn_code")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "outcome_record_pcn_idx"`);
    await q.query(`DROP INDEX "unmet_need_pcn_idx"`);
    await q.query(`DROP INDEX "offer_fact_pcn_idx"`);
    await q.query(`DROP TABLE "pcn_ics"`);
  }
}
