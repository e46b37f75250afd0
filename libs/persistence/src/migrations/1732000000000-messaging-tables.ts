import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox and inbox tables every service carries. A statement-level trigger NOTIFYs the relay
 * when rows are inserted; Postgres delivers the notification at commit, so the relay wakes as soon
 * as an event becomes visible and never for a rolled-back one.
 */
export class MessagingTables1732000000000 implements MigrationInterface {
  name = 'MessagingTables1732000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "outbox" (
        "id" bigserial PRIMARY KEY,
        "ce_id" uuid NOT NULL UNIQUE,
        "topic" text NOT NULL,
        "key" text NOT NULL,
        "lane" smallint NOT NULL,
        "type" text NOT NULL,
        "source" text NOT NULL,
        "time" timestamptz NOT NULL,
        "data" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "published_at" timestamptz,
        "attempts" int NOT NULL DEFAULT 0,
        "last_error" text
      )`);
    await q.query(
      `CREATE INDEX "outbox_unpublished_idx" ON "outbox" ("lane", "id") WHERE "published_at" IS NULL`,
    );
    await q.query(
      `CREATE INDEX "outbox_published_at_idx" ON "outbox" ("published_at") WHERE "published_at" IS NOT NULL`,
    );
    await q.query(`
      CREATE FUNCTION "outbox_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('sp_outbox', '');
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER "outbox_notify_trg" AFTER INSERT ON "outbox" FOR EACH STATEMENT EXECUTE FUNCTION "outbox_notify"()`,
    );
    await q.query(`
      CREATE TABLE "inbox" (
        "consumer" text NOT NULL,
        "ce_id" text NOT NULL,
        "type" text NOT NULL,
        "topic" text NOT NULL,
        "partition" int NOT NULL,
        "offset" bigint NOT NULL,
        "status" text NOT NULL CHECK ("status" IN ('processed', 'dead-lettered')),
        "reason" text,
        "processed_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("consumer", "ce_id")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "inbox"`);
    await q.query(`DROP TRIGGER "outbox_notify_trg" ON "outbox"`);
    await q.query(`DROP FUNCTION "outbox_notify"()`);
    await q.query(`DROP TABLE "outbox"`);
  }
}
