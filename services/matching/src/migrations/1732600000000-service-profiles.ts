import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What matching needs to choose services, beside the load row the guard protects: each service's
 * descriptive settings from `service.registered.v1` (a separate table, so nothing about them can touch
 * `service_load` or its trigger), postcode geography for people's district centroids (filled by
 * `npm run import -- postcodes`, the same file that fills vcso-capacity's), and the referral's place in
 * the matching flow (an automatic offer owed, the waitlist, an unmet need already reported).
 */
export class ServiceProfiles1732600000000 implements MigrationInterface {
  name = 'ServiceProfiles1732600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE service_profile (
        service_id uuid PRIMARY KEY,
        organisation_id uuid NOT NULL,
        ics_code text NOT NULL,
        needs text[] NOT NULL,
        postcode_district text NOT NULL,
        lat double precision,
        lon double precision,
        radius_km double precision NOT NULL,
        min_age int,
        max_age int,
        languages text[] NOT NULL DEFAULT '{}',
        accessibility text[] NOT NULL DEFAULT '{}',
        mode text NOT NULL CHECK (mode IN ('in-person', 'online', 'phone')),
        registered_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX service_profile_needs ON service_profile USING gin (needs)`);
    // Same shape as vcso-capacity's table, so one import statement fills both.
    await q.query(`
      CREATE TABLE postcode_geography (
        code text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('postcode', 'district')),
        lat double precision NOT NULL,
        lon double precision NOT NULL,
        district text GENERATED ALWAYS AS (split_part(code, ' ', 1)) STORED,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX postcode_geography_district ON postcode_geography (district)`);
    await q.query(`
      ALTER TABLE referral_projection
        ADD COLUMN auto_pending boolean NOT NULL DEFAULT false,
        ADD COLUMN waitlisted_at timestamptz,
        ADD COLUMN first_waitlisted_at timestamptz,
        ADD COLUMN unmet_at timestamptz`);
    await q.query(
      `CREATE INDEX referral_waitlist ON referral_projection (urgent DESC, waitlisted_at, referral_id) WHERE waitlisted_at IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX referral_auto_pending ON referral_projection (assessed_at) WHERE auto_pending`,
    );
    await q.query(`CREATE INDEX offers_recent_by_service ON offers (service_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX offers_recent_by_service`);
    await q.query(`DROP INDEX referral_auto_pending`);
    await q.query(`DROP INDEX referral_waitlist`);
    await q.query(
      `ALTER TABLE referral_projection DROP COLUMN auto_pending, DROP COLUMN waitlisted_at, DROP COLUMN first_waitlisted_at, DROP COLUMN unmet_at`,
    );
    await q.query(`DROP TABLE postcode_geography`);
    await q.query(`DROP TABLE service_profile`);
  }
}
