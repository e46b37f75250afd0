import { Injectable } from '@nestjs/common';
import {
  REFERRAL_CLOSED_V1,
  REFERRAL_STATUS_CHANGED_V1,
  type CloseReason,
  type NeedCode,
  type ReferralClosedV1,
  type ReferralStatus,
  type ReferralStatusChangedV1,
  type ResponsibleParty,
} from '@sp/contracts';
import { commitSignals, OutboxWriter } from '@sp/messaging';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/** How the referral stands with consent, projected from the consent service's events. */
export type ConsentState = 'none' | 'granted' | 'declined' | 'withdrawn';

/** A `referral` row: the de-identified record. */
export interface ReferralRow {
  id: string;
  pcn_code: string;
  practice_code: string;
  needs: NeedCode[];
  status: ReferralStatus;
  close_reason: CloseReason | null;
  responsible_party: ResponsibleParty;
  possible_duplicate: boolean;
  linked_referral_id: string | null;
  person_key: string;
  age_band: string;
  postcode_district: string;
  preferred_language: string | null;
  accessibility_needs: string[];
  source: string;
  consent_state: ConsentState;
  share_with_vcso: boolean;
  auto_offer: boolean | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

/** One step of the closed loop. `detail` holds ids and codes only, never anything about the person. */
export interface TimelineEntry {
  at: string;
  kind: string;
  detail: Record<string, unknown>;
}

export interface StatusChange {
  to: ReferralStatus;
  responsibleParty: ResponsibleParty;
  closeReason?: CloseReason;
  /** Timeline entry recorded with the change (or alone, when nothing changes). */
  kind: string;
  detail?: Record<string, unknown>;
  /** The event that caused it: its id makes the timeline entry idempotent. Fresh for API changes. */
  causeId?: string;
  at?: Date;
}

export const OPEN_STATUSES: readonly ReferralStatus[] = [
  'awaiting-consent',
  'awaiting-assessment',
  'matching',
  'waitlisted',
  'offered',
  'accepted',
];

/** A timeline entry's insert ($1 to $5); a second entry for the same cause (`ce_id`) is ignored. */
const TIMELINE_INSERT = `INSERT INTO referral_timeline (referral_id, at, kind, detail, ce_id)
  VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT (ce_id) DO NOTHING`;

function timelineParams(
  referralId: string,
  entry: { kind: string; detail?: Record<string, unknown>; causeId?: string; at?: Date },
): unknown[] {
  return [
    referralId,
    entry.at ?? new Date(),
    entry.kind,
    JSON.stringify(entry.detail ?? {}),
    entry.causeId ?? randomUUID(),
  ];
}

/**
 * Reads and changes referral rows. Every change of status or responsible party writes a timeline
 * entry and publishes `referral.status-changed.v1` (and `referral.closed.v1` on closing) through the
 * outbox, in the caller's transaction.
 */
@Injectable()
export class ReferralStore {
  constructor(private readonly outbox: OutboxWriter) {}

  /**
   * Consent reaches intake one event hop after the link worker records it, so a client that records
   * consent and acts straight after (assessment, an outcome) would find it still unknown: give that
   * event up to ~3 s to arrive. This process's consumer wakes the wait when it commits an event about
   * the referral; otherwise it re-reads at a growing interval. Call it only after the scope check, so
   * that another PCN's referral answers 404 as fast as one that does not exist.
   */
  async untilConsentKnown(m: EntityManager, id: string, timeoutMs = 3000): Promise<void> {
    await commitSignals.until(
      id,
      async () => {
        const [row]: { consent_state: string }[] = await m.query(
          `SELECT consent_state FROM referral WHERE id = $1`,
          [id],
        );
        return !row || row.consent_state !== 'none' ? true : null;
      },
      timeoutMs,
      // Called only just after a read that found no consent yet.
      { justChecked: true },
    );
  }

  async find(m: EntityManager, id: string): Promise<ReferralRow | null> {
    const rows: ReferralRow[] = await m.query(`SELECT * FROM referral WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /**
   * The row, locked until the transaction ends: changes to one referral (API calls and consumed
   * events alike) are applied one after another, in order.
   */
  async lock(m: EntityManager, id: string): Promise<ReferralRow | null> {
    const rows: ReferralRow[] = await m.query(`SELECT * FROM referral WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ?? null;
  }

  async timeline(m: EntityManager, id: string): Promise<TimelineEntry[]> {
    const rows: { at: Date; kind: string; detail: Record<string, unknown> }[] = await m.query(
      `SELECT at, kind, detail FROM referral_timeline WHERE referral_id = $1 ORDER BY at, id`,
      [id],
    );
    return rows.map((r) => ({ at: r.at.toISOString(), kind: r.kind, detail: r.detail }));
  }

  /** Appends a timeline entry; a second one for the same cause is ignored (replayed events). */
  async addTimeline(
    m: EntityManager,
    referralId: string,
    entry: { kind: string; detail?: Record<string, unknown>; causeId?: string; at?: Date },
  ): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `${TIMELINE_INSERT} RETURNING id`,
      timelineParams(referralId, entry),
    );
    return rows.length > 0;
  }

  /** Applies a change to a locked row and returns the row as it now stands. */
  async change(m: EntityManager, row: ReferralRow, change: StatusChange): Promise<ReferralRow> {
    const at = change.at ?? new Date();
    // Status events are stamped no earlier than the referral's previous change: events from consent
    // and matching can reach intake out of their own time order (an offer cancelled at T2 read before
    // the withdrawal at T1 that caused it), and consumers that keep the latest-stamped status must
    // still end on the status intake ends on. The timeline keeps each cause's own time.
    const previous = row.updated_at ? new Date(row.updated_at) : undefined;
    const stampedAt = previous && previous.getTime() >= at.getTime() ? new Date(previous.getTime() + 1) : at;
    const closeReason = change.to === 'closed' ? (change.closeReason ?? row.close_reason ?? 'other') : null;
    const moves =
      change.to !== row.status ||
      change.responsibleParty !== row.responsible_party ||
      closeReason !== row.close_reason;
    // One statement: the timeline entry, and the row's move only when that entry is new (a replayed
    // cause changes nothing).
    const entry = { kind: change.kind, detail: change.detail, causeId: change.causeId, at };
    const [{ fresh }]: { fresh: boolean }[] = await m.query(
      `WITH t AS (${TIMELINE_INSERT} RETURNING id),
       u AS (
         UPDATE referral SET status = $6, responsible_party = $7, close_reason = $8, updated_at = now()
          WHERE id = $1 AND $9::boolean AND EXISTS (SELECT 1 FROM t)
       )
       SELECT EXISTS (SELECT 1 FROM t) AS fresh`,
      [...timelineParams(row.id, entry), change.to, change.responsibleParty, closeReason, moves],
    );
    if (!fresh || !moves) return row;
    const statusChanged: ReferralStatusChangedV1 = {
      referralId: row.id,
      pcnCode: row.pcn_code,
      practiceCode: row.practice_code,
      from: row.status,
      to: change.to,
      ...(closeReason ? { closeReason } : {}),
      responsibleParty: change.responsibleParty,
      changedAt: stampedAt.toISOString(),
    };
    await this.outbox.enqueue(m, {
      type: REFERRAL_STATUS_CHANGED_V1,
      subject: row.id,
      data: statusChanged,
      time: at,
    });
    if (change.to === 'closed' && row.status !== 'closed') {
      const closed: ReferralClosedV1 = {
        referralId: row.id,
        pcnCode: row.pcn_code,
        reason: closeReason ?? 'other',
        closedAt: stampedAt.toISOString(),
      };
      await this.outbox.enqueue(m, { type: REFERRAL_CLOSED_V1, subject: row.id, data: closed, time: at });
    }
    return {
      ...row,
      status: change.to,
      responsible_party: change.responsibleParty,
      close_reason: closeReason,
      updated_at: at,
    };
  }
}
