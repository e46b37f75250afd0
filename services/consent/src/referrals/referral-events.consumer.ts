import { Controller } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import {
  REFERRAL_CLOSED_V1,
  REFERRAL_RECEIVED_V1,
  REFERRAL_STATUS_CHANGED_V1,
  type ReferralClosedV1,
  type ReferralReceivedV1,
  type ReferralStatusChangedV1,
} from '@sp/contracts';
import { EventContext } from '@sp/messaging';

// Upserts rather than inserts: the first event consent sees for a referral need not be its receipt
// (a projection rebuilt from a trimmed topic). `closed` only ever turns on; the status follows the
// newest change, so a late, older event cannot reopen or rewind a referral.
const UPSERT_STATUS = `
  INSERT INTO referral_projection AS p (referral_id, pcn_code, practice_code, status, close_reason, closed, status_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (referral_id) DO UPDATE SET
    pcn_code = EXCLUDED.pcn_code,
    practice_code = COALESCE(EXCLUDED.practice_code, p.practice_code),
    status = CASE WHEN EXCLUDED.status_at >= p.status_at THEN EXCLUDED.status ELSE p.status END,
    close_reason = CASE WHEN EXCLUDED.status_at >= p.status_at OR p.close_reason IS NULL
                        THEN COALESCE(EXCLUDED.close_reason, p.close_reason) ELSE p.close_reason END,
    closed = p.closed OR EXCLUDED.closed,
    status_at = GREATEST(p.status_at, EXCLUDED.status_at),
    updated_at = now()`;

/**
 * Keeps `referral_projection` current from intake's events. Each handler runs in the inbox transaction
 * (ctx.getManager()), so a redelivered event is absorbed before it gets here. Consent never asks intake
 * synchronously: this projection is all it knows.
 */
@Controller()
export class ReferralEventsConsumer {
  @EventPattern(REFERRAL_RECEIVED_V1)
  async onReceived(@Ctx() ctx: EventContext): Promise<void> {
    // Payloads were validated against the contract by the consumer before the handler runs.
    const data = ctx.getEvent().data as ReferralReceivedV1;
    await ctx.getManager().query(
      `INSERT INTO referral_projection AS p (referral_id, pcn_code, practice_code, status, closed, status_at, received_at)
       VALUES ($1, $2, $3, 'awaiting-consent', false, $4, $4)
       ON CONFLICT (referral_id) DO UPDATE SET
         pcn_code = EXCLUDED.pcn_code,
         practice_code = EXCLUDED.practice_code,
         received_at = EXCLUDED.received_at,
         updated_at = now()`,
      [data.referralId, data.pcnCode, data.practiceCode, data.receivedAt],
    );
  }

  @EventPattern(REFERRAL_STATUS_CHANGED_V1)
  async onStatusChanged(@Ctx() ctx: EventContext): Promise<void> {
    const data = ctx.getEvent().data as ReferralStatusChangedV1;
    await ctx
      .getManager()
      .query(UPSERT_STATUS, [
        data.referralId,
        data.pcnCode,
        data.practiceCode,
        data.to,
        data.closeReason ?? null,
        data.to === 'closed',
        data.changedAt,
      ]);
  }

  @EventPattern(REFERRAL_CLOSED_V1)
  async onClosed(@Ctx() ctx: EventContext): Promise<void> {
    const data = ctx.getEvent().data as ReferralClosedV1;
    await ctx
      .getManager()
      .query(UPSERT_STATUS, [
        data.referralId,
        data.pcnCode,
        null,
        'closed',
        data.reason,
        true,
        data.closedAt,
      ]);
  }
}
