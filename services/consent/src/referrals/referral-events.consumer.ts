import { Controller } from '@nestjs/common';
import { Ctx } from '@nestjs/microservices';
import {
  REFERRAL_CLOSED_V1,
  REFERRAL_RECEIVED_V1,
  REFERRAL_STATUS_CHANGED_V1,
  type ReferralClosedV1,
  type ReferralReceivedV1,
  type ReferralStatusChangedV1,
} from '@sp/contracts';
import { EventBatchContext, EventBatchPattern } from '@sp/messaging';
import { distinctRounds } from '@sp/persistence';
import type { EntityManager } from 'typeorm';

// Upserts rather than inserts: the first event consent sees for a referral need not be its receipt
// (a projection rebuilt from a trimmed topic). `closed` only ever turns on; the status follows the
// newest change, so a late, older event cannot reopen or rewind a referral. So the three upserts
// come to the same row in whatever order they run, which lets each take a run of its events at once
// (one statement per round of distinct referrals: see distinctRounds).
const UPSERT_RECEIVED = `
  INSERT INTO referral_projection AS p (referral_id, pcn_code, practice_code, status, closed, status_at, received_at)
  SELECT id, pcn, practice, 'awaiting-consent', false, at, at
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS r(id, pcn, practice, at)
  ON CONFLICT (referral_id) DO UPDATE SET
    pcn_code = EXCLUDED.pcn_code,
    practice_code = EXCLUDED.practice_code,
    received_at = EXCLUDED.received_at,
    updated_at = now()`;

const UPSERT_STATUS = `
  INSERT INTO referral_projection AS p (referral_id, pcn_code, practice_code, status, close_reason, closed, status_at)
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::timestamptz[])
  ON CONFLICT (referral_id) DO UPDATE SET
    pcn_code = EXCLUDED.pcn_code,
    practice_code = COALESCE(EXCLUDED.practice_code, p.practice_code),
    status = CASE WHEN EXCLUDED.status_at >= p.status_at THEN EXCLUDED.status ELSE p.status END,
    close_reason = CASE WHEN EXCLUDED.status_at >= p.status_at OR p.close_reason IS NULL
                        THEN COALESCE(EXCLUDED.close_reason, p.close_reason) ELSE p.close_reason END,
    closed = p.closed OR EXCLUDED.closed,
    status_at = GREATEST(p.status_at, EXCLUDED.status_at),
    updated_at = now()`;

interface StatusRow {
  referralId: string;
  pcnCode: string;
  practiceCode: string | null;
  status: string;
  closeReason: string | null;
  closed: boolean;
  at: string;
}

async function upsertStatuses(m: EntityManager, rows: StatusRow[]): Promise<void> {
  for (const round of distinctRounds(rows, (r) => r.referralId)) {
    await m.query(UPSERT_STATUS, [
      round.map((r) => r.referralId),
      round.map((r) => r.pcnCode),
      round.map((r) => r.practiceCode),
      round.map((r) => r.status),
      round.map((r) => r.closeReason),
      round.map((r) => r.closed),
      round.map((r) => r.at),
    ]);
  }
}

/**
 * Keeps `referral_projection` current from intake's events. Each handler runs in the inbox transaction
 * (ctx.getManager()), so a redelivered event is absorbed before it gets here, and takes a run of its
 * events at once. Consent never asks intake synchronously: this projection is all it knows.
 */
@Controller()
export class ReferralEventsConsumer {
  @EventBatchPattern(REFERRAL_RECEIVED_V1)
  async onReceived(@Ctx() ctx: EventBatchContext): Promise<void> {
    // Payloads were validated against the contract by the consumer before the handler runs.
    const received = ctx.getEvents().map((e) => e.data as ReferralReceivedV1);
    for (const round of distinctRounds(received, (d) => d.referralId)) {
      await ctx
        .getManager()
        .query(UPSERT_RECEIVED, [
          round.map((d) => d.referralId),
          round.map((d) => d.pcnCode),
          round.map((d) => d.practiceCode),
          round.map((d) => d.receivedAt),
        ]);
    }
  }

  @EventBatchPattern(REFERRAL_STATUS_CHANGED_V1)
  async onStatusChanged(@Ctx() ctx: EventBatchContext): Promise<void> {
    await upsertStatuses(
      ctx.getManager(),
      ctx.getEvents().map((e) => {
        const data = e.data as ReferralStatusChangedV1;
        return {
          referralId: data.referralId,
          pcnCode: data.pcnCode,
          practiceCode: data.practiceCode ?? null,
          status: data.to,
          closeReason: data.closeReason ?? null,
          closed: data.to === 'closed',
          at: data.changedAt,
        };
      }),
    );
  }

  @EventBatchPattern(REFERRAL_CLOSED_V1)
  async onClosed(@Ctx() ctx: EventBatchContext): Promise<void> {
    await upsertStatuses(
      ctx.getManager(),
      ctx.getEvents().map((e) => {
        const data = e.data as ReferralClosedV1;
        return {
          referralId: data.referralId,
          pcnCode: data.pcnCode,
          practiceCode: null,
          status: 'closed',
          closeReason: data.reason,
          closed: true,
          at: data.closedAt,
        };
      }),
    );
  }
}
