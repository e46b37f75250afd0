import type { EntityManager } from 'typeorm';

const asked = new WeakSet<EntityManager>();

/**
 * Says that the transaction behind `manager` now holds a row many others queue for (a service's
 * places): whoever runs it should commit as soon as the work in hand is done, not go on to more work
 * in the same transaction. The event consumer ends a chunk there: the events after it are claimed and
 * handled in the next transaction, so the lock is held for one event, not for the rest of the chunk.
 * Elsewhere (a request, a job) it changes nothing: those commit after one piece of work anyway.
 */
export function commitSoon(manager: EntityManager): void {
  asked.add(manager);
}

/** Whether `commitSoon` was called for this transaction. */
export function commitSoonAsked(manager: EntityManager): boolean {
  return asked.has(manager);
}
