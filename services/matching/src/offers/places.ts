import { commitSoon } from '@sp/messaging';
import type { EntityManager } from 'typeorm';

/**
 * `manager.query` answers an UPDATE ... RETURNING with `[rows, affectedCount]` on Postgres, and a
 * SELECT or INSERT ... RETURNING with the rows alone: this always gives the rows.
 */
export async function queryRows<T>(manager: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const result: unknown = await manager.query(sql, params);
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return result as T[];
}

export type ShortageReason = 'unknown-service' | 'paused' | 'full' | 'weekly-intake-used';

/**
 * Takes one place at a service, atomically: a single UPDATE whose WHERE re-checks the limits on the
 * row it locks, so any number of concurrent requests, from any number of instances, can never take
 * active + reserved above maxActive nor this week's offers above weeklyIntake (the table's trigger
 * refuses it too). Returns null and the reason when no place is left.
 *
 * Every offer at the service queues for that row until this transaction ends, so each function here
 * asks for the transaction to commit soon (a consumer then ends its chunk at this event).
 */
export async function reservePlace(
  manager: EntityManager,
  serviceId: string,
  week: string,
): Promise<{ organisationId: string } | { shortage: ShortageReason }> {
  const rows = await queryRows<{ organisation_id: string }>(
    manager,
    `UPDATE service_load
        SET reserved = reserved + 1,
            offers_this_week = CASE WHEN week = $2 THEN offers_this_week + 1 ELSE 1 END,
            week = $2,
            updated_at = now()
      WHERE service_id = $1
        AND NOT paused
        AND active + reserved < max_active
        AND (week <> $2 OR offers_this_week < weekly_intake)
        AND weekly_intake > 0
      RETURNING organisation_id`,
    [serviceId, week],
  );
  commitSoon(manager);
  if (rows.length) return { organisationId: rows[0].organisation_id };
  const [row]: { paused: boolean; full: boolean }[] = await manager.query(
    `SELECT paused, active + reserved >= max_active AS full FROM service_load WHERE service_id = $1`,
    [serviceId],
  );
  if (!row) return { shortage: 'unknown-service' };
  return { shortage: row.paused ? 'paused' : row.full ? 'full' : 'weekly-intake-used' };
}

/** A pending offer's place is given back (decline, expiry, cancellation). */
export async function releaseReservation(manager: EntityManager, serviceId: string): Promise<void> {
  commitSoon(manager);
  await manager.query(
    `UPDATE service_load SET reserved = reserved - 1, updated_at = now() WHERE service_id = $1`,
    [serviceId],
  );
}

/** Acceptance turns the reservation into an active place: the total held does not change. */
export async function activateReservation(manager: EntityManager, serviceId: string): Promise<void> {
  commitSoon(manager);
  await manager.query(
    `UPDATE service_load SET reserved = reserved - 1, active = active + 1, updated_at = now() WHERE service_id = $1`,
    [serviceId],
  );
}

/** A placement ends (completed, did not attend, cancelled after acceptance). */
export async function releaseActive(manager: EntityManager, serviceId: string): Promise<void> {
  commitSoon(manager);
  await manager.query(
    `UPDATE service_load SET active = active - 1, updated_at = now() WHERE service_id = $1`,
    [serviceId],
  );
}
