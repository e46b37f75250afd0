import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The directory (organisations and their services, with each service's limits and live load on its
 * own row, which is also the per-service lock), postcode geography, and the offer activity a
 * coordinator's view counts.
 */
export class CapacityTables1732400000000 implements MigrationInterface {
  name = 'CapacityTables1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "organisations" (
        "id" uuid PRIMARY KEY,
        "name" text NOT NULL,
        "ics_code" text NOT NULL,
        "charity_number" text,
        "contact_email" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE "vcso_services" (
        "id" uuid PRIMARY KEY,
        "organisation_id" uuid NOT NULL REFERENCES "organisations" ("id"),
        "name" text NOT NULL,
        "needs" text[] NOT NULL,
        "postcode" text NOT NULL,
        "district" text NOT NULL,
        "radius_km" double precision NOT NULL CHECK ("radius_km" >= 0),
        "min_age" int,
        "max_age" int,
        "languages" text[] NOT NULL DEFAULT '{}',
        "accessibility" text[] NOT NULL DEFAULT '{}',
        "mode" text NOT NULL CHECK ("mode" IN ('in-person', 'online', 'phone')),
        "max_active" int NOT NULL CHECK ("max_active" >= 0),
        "weekly_intake" int NOT NULL CHECK ("weekly_intake" >= 0),
        "active" int NOT NULL DEFAULT 0 CHECK ("active" >= 0),
        "reserved" int NOT NULL DEFAULT 0 CHECK ("reserved" >= 0),
        "offers_week" text,
        "offers_this_week" int NOT NULL DEFAULT 0 CHECK ("offers_this_week" >= 0),
        "paused" boolean NOT NULL DEFAULT false,
        "pause_reason" text,
        "paused_until" timestamptz,
        "status" text NOT NULL CHECK ("status" IN ('open', 'limited', 'full', 'paused')),
        "status_changed_at" timestamptz NOT NULL,
        "strained_since" timestamptz,
        "alerted_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "vcso_services_ages" CHECK ("min_age" IS NULL OR "max_age" IS NULL OR "min_age" <= "max_age")
      )`);
    await q.query(`CREATE INDEX "vcso_services_org_idx" ON "vcso_services" ("organisation_id")`);
    await q.query(`CREATE INDEX "vcso_services_needs_idx" ON "vcso_services" USING gin ("needs")`);
    await q.query(
      `CREATE INDEX "vcso_services_pause_end_idx" ON "vcso_services" ("paused_until") WHERE "paused_until" IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE "postcode_geography" (
        "code" text PRIMARY KEY,
        "kind" text NOT NULL CHECK ("kind" IN ('postcode', 'district')),
        "lat" double precision NOT NULL CHECK ("lat" BETWEEN -90 AND 90),
        "lon" double precision NOT NULL CHECK ("lon" BETWEEN -180 AND 180),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE "offer_activity" (
        "ce_id" text PRIMARY KEY,
        "service_id" uuid NOT NULL,
        "offer_id" uuid NOT NULL,
        "kind" text NOT NULL CHECK ("kind" IN ('offered', 'accepted', 'declined', 'expired', 'cancelled', 'completed', 'did-not-attend')),
        "at" timestamptz NOT NULL,
        "week" text NOT NULL,
        "month" text NOT NULL
      )`);
    await q.query(`CREATE INDEX "offer_activity_week_idx" ON "offer_activity" ("service_id", "week")`);
    await q.query(`CREATE INDEX "offer_activity_month_idx" ON "offer_activity" ("service_id", "month")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "offer_activity"`);
    await q.query(`DROP TABLE "postcode_geography"`);
    await q.query(`DROP TABLE "vcso_services"`);
    await q.query(`DROP TABLE "organisations"`);
  }
}
