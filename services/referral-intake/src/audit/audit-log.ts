import type { AuthClaims } from '@sp/auth';
import type { EntityManager } from 'typeorm';

/** Why identifiable data was touched; closed list so the log reads as a record, not prose. */
export type AuditReason =
  | 'referral-created'
  | 'referral-imported'
  | 'referral-viewed'
  | 'assessment-recorded'
  | 'contact-requested'
  | 'idempotent-replay';

export interface AuditEntry {
  actor: Pick<AuthClaims, 'sub' | 'role'>;
  action: 'read' | 'write';
  referralId: string;
  /** Names of the identifiable columns read or written, never their values. */
  fields: string[];
  reason: AuditReason;
}

/**
 * Appends to `audit_log` in the caller's transaction, so the record of an access exists exactly when
 * the access happened. The table refuses UPDATE, DELETE and TRUNCATE (a trigger), so history stays.
 */
export async function appendAudit(manager: EntityManager, entry: AuditEntry): Promise<void> {
  await manager.query(
    `INSERT INTO audit_log (actor_sub, actor_role, action, referral_id, fields, reason) VALUES ($1, $2, $3, $4, $5, $6)`,
    [entry.actor.sub, entry.actor.role, entry.action, entry.referralId, entry.fields, entry.reason],
  );
}

/** Appends many entries in one statement (bulk import): the same record, one row per access. */
export async function appendAuditMany(manager: EntityManager, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const params: unknown[] = [];
  const rows = entries.map((e) => {
    params.push(e.actor.sub, e.actor.role, e.action, e.referralId, e.fields, e.reason);
    const b = params.length - 6;
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6})`;
  });
  await manager.query(
    `INSERT INTO audit_log (actor_sub, actor_role, action, referral_id, fields, reason) VALUES ${rows.join(', ')}`,
    params,
  );
}
