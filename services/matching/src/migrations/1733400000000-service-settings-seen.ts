import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The newest capacity.updated.v1 seen per service, kept apart from `service_load`: every offer at a
 * service changes its load, and vcso-capacity announces each change with the service's settings, so
 * most of these events repeat settings matching already holds. Recording that one was seen here
 * (a row only capacity events touch) keeps an older, out-of-order event from winning later, without
 * locking the service's `service_load` row, which every offer at the service queues for.
 */
export class ServiceSettingsSeen1733400000000 implements MigrationInterface {
  name = 'ServiceSettingsSeen1733400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE service_settings_seen (
        service_id uuid PRIMARY KEY,
        seen_at timestamptz NOT NULL
      )`);
    // Services known already: what their row says is the newest seen so far.
    await q.query(
      `INSERT INTO service_settings_seen (service_id, seen_at)
       SELECT service_id, settings_at FROM service_load WHERE settings_at > '-infinity'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE service_settings_seen`);
  }
}
