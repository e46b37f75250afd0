import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each PCN's settings and ICS as pcn.registered.v1 last said (the latest `registered_at` wins): an
 * offer lapses after its PCN's `offer_expiry_days`; a PCN not here gets OFFER_EXPIRY_DAYS.
 */
export class PcnSettings1733300000000 implements MigrationInterface {
  name = 'PcnSettings1733300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE pcn_settings (
        pcn_code text PRIMARY KEY,
        ics_code text NOT NULL,
        offer_expiry_days int NOT NULL CHECK (offer_expiry_days > 0),
        auto_offer boolean NOT NULL,
        registered_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE pcn_settings`);
  }
}
