import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Matching's own state: projections of referrals, consent and services from their events, and the
 * offers with the places they hold. Invariant 3 lives here: `service_load` is the one row per service
 * that every reservation updates atomically, and a trigger refuses any change that would take a
 * service's active-plus-reserved above its maxActive, or its offers this week above its weeklyIntake
 * (lowering the limits below the current load is allowed: it evicts nobody, it only stops new offers).
 */
export class MatchingTables1732500000000 implements MigrationInterface {
  name = 'MatchingTables1732500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE referral_projection (
        referral_id uuid PRIMARY KEY,
        pcn_code text NOT NULL,
        practice_code text,
        needs text[] NOT NULL DEFAULT '{}',
        age_band text,
        postcode_district text,
        preferred_language text,
        accessibility_needs text[] NOT NULL DEFAULT '{}',
        received_at timestamptz,
        assessed_at timestamptz,
        auto_offer boolean NOT NULL DEFAULT false,
        urgent boolean NOT NULL DEFAULT false,
        consent text NOT NULL DEFAULT 'none' CHECK (consent IN ('none', 'granted', 'declined', 'withdrawn')),
        share_with_vcso boolean NOT NULL DEFAULT false,
        closed boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE service_load (
        service_id uuid PRIMARY KEY,
        organisation_id uuid NOT NULL,
        max_active int NOT NULL CHECK (max_active >= 0),
        weekly_intake int NOT NULL CHECK (weekly_intake >= 0),
        paused boolean NOT NULL DEFAULT false,
        active int NOT NULL DEFAULT 0 CHECK (active >= 0),
        reserved int NOT NULL DEFAULT 0 CHECK (reserved >= 0),
        week text NOT NULL DEFAULT '',
        offers_this_week int NOT NULL DEFAULT 0 CHECK (offers_this_week >= 0),
        settings_at timestamptz NOT NULL DEFAULT '-infinity',
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE FUNCTION service_load_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.active + NEW.reserved > NEW.max_active
           AND NEW.active + NEW.reserved > OLD.active + OLD.reserved THEN
          RAISE EXCEPTION 'service % would hold % people, above its maxActive %',
            NEW.service_id, NEW.active + NEW.reserved, NEW.max_active USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.offers_this_week > NEW.weekly_intake
           AND (NEW.week <> OLD.week OR NEW.offers_this_week > OLD.offers_this_week) THEN
          RAISE EXCEPTION 'service % would receive % offers in week %, above its weeklyIntake %',
            NEW.service_id, NEW.offers_this_week, NEW.week, NEW.weekly_intake USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(
      `CREATE TRIGGER service_load_guard_trg BEFORE UPDATE ON service_load FOR EACH ROW EXECUTE FUNCTION service_load_guard()`,
    );
    await q.query(`
      CREATE TABLE offers (
        id uuid PRIMARY KEY,
        referral_id uuid NOT NULL REFERENCES referral_projection (referral_id),
        service_id uuid NOT NULL REFERENCES service_load (service_id),
        organisation_id uuid NOT NULL,
        pcn_code text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'expired', 'cancelled', 'completed', 'did-not-attend')),
        auto boolean NOT NULL DEFAULT false,
        week text NOT NULL,
        decline_reason text,
        cancel_reason text,
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        decided_at timestamptz,
        closed_at timestamptz
      )`);
    // One live offer per referral, and never the same service twice for one referral.
    await q.query(
      `CREATE UNIQUE INDEX offers_one_open_per_referral ON offers (referral_id) WHERE status IN ('pending', 'accepted')`,
    );
    await q.query(`CREATE UNIQUE INDEX offers_once_per_service ON offers (referral_id, service_id)`);
    await q.query(`CREATE INDEX offers_by_org_status ON offers (organisation_id, status)`);
    await q.query(`CREATE INDEX offers_by_pcn_status ON offers (pcn_code, status)`);
    await q.query(`CREATE INDEX offers_pending_expiry ON offers (expires_at) WHERE status = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE offers`);
    await q.query(`DROP TRIGGER service_load_guard_trg ON service_load`);
    await q.query(`DROP FUNCTION service_load_guard()`);
    await q.query(`DROP TABLE service_load`);
    await q.query(`DROP TABLE referral_projection`);
  }
}
