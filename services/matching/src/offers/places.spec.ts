import { commitSoonAsked } from '@sp/messaging';
import type { EntityManager } from 'typeorm';
import { activateReservation, releaseActive, releaseReservation, reservePlace } from './places';

/** A transaction's manager that answers an UPDATE ... RETURNING the way TypeORM does on Postgres. */
const manager = (rows: unknown[]) =>
  ({
    query: async (sql: string) => (sql.trimStart().startsWith('UPDATE') ? [rows, rows.length] : rows),
  }) as unknown as EntityManager;

describe('places: every change to a service row asks its transaction to commit soon', () => {
  it('a place taken', async () => {
    const m = manager([{ organisation_id: 'org-1' }]);
    expect(await reservePlace(m, 'svc-1', '2026-W49')).toEqual({ organisationId: 'org-1' });
    expect(commitSoonAsked(m)).toBe(true);
  });

  it('no place left: the row was still locked by the UPDATE', async () => {
    const m = manager([]);
    expect(await reservePlace(m, 'svc-1', '2026-W49')).toEqual({ shortage: 'unknown-service' });
    expect(commitSoonAsked(m)).toBe(true);
  });

  it.each([
    ['a reservation given back', releaseReservation],
    ['a reservation turned active', activateReservation],
    ['an active place ended', releaseActive],
  ])('%s', async (_, change) => {
    const m = manager([]);
    expect(commitSoonAsked(m)).toBe(false);
    await change(m, 'svc-1');
    expect(commitSoonAsked(m)).toBe(true);
  });
});
