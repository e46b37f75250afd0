import { Controller } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import { OUTCOME_RECORDED_V1, type OutcomeRecordedV1 } from '@sp/contracts';
import { EventContext } from '@sp/messaging';
import type { EntityManager } from 'typeorm';
import { IcsDirectory } from '../common/metrics-config';
import { AnalyticsPublisher } from './analytics-publisher';

/**
 * Intake's wellbeing outcomes into `outcome_record`, in the inbox transaction (a redelivery is absorbed
 * before it gets here), and their de-identified twins onto sp.analytics.events.v1 in that same
 * transaction once the referral's details are known.
 */
@Controller()
export class OutcomeEventsConsumer {
  constructor(
    private readonly ics: IcsDirectory,
    private readonly analytics: AnalyticsPublisher,
  ) {}

  @EventPattern(OUTCOME_RECORDED_V1)
  async onRecorded(@Ctx() ctx: EventContext): Promise<void> {
    // Payloads were validated against the contract by the consumer before the handler runs.
    const data = ctx.getEvent().data as OutcomeRecordedV1;
    const m = ctx.getManager();
    await this.record(m, data);
    await this.analytics.flushOutcomes(m, data.referralId);
  }

  /**
   * Intake allows one record per referral, measure and stage; should another ever come (intake's
   * database restored and re-recorded), the newer replaces the older rather than making a second pair.
   */
  private async record(m: EntityManager, d: OutcomeRecordedV1): Promise<void> {
    await m.query(
      `INSERT INTO outcome_record AS o (outcome_id, referral_id, pcn_code, practice_code, ics_code, needs, service_id,
         organisation_id, measure, stage, scores, total, recorded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (referral_id, measure, stage) DO UPDATE SET
         outcome_id = EXCLUDED.outcome_id, pcn_code = EXCLUDED.pcn_code, practice_code = EXCLUDED.practice_code,
         ics_code = EXCLUDED.ics_code, needs = EXCLUDED.needs, service_id = EXCLUDED.service_id,
         organisation_id = EXCLUDED.organisation_id, scores = EXCLUDED.scores, total = EXCLUDED.total,
         recorded_at = EXCLUDED.recorded_at, published_at = NULL
       WHERE EXCLUDED.recorded_at > o.recorded_at`,
      [
        d.outcomeId,
        d.referralId,
        d.pcnCode,
        d.practiceCode,
        await this.ics.forWrite(m, d.pcnCode),
        d.needs,
        d.serviceId ?? null,
        d.organisationId ?? null,
        d.measure,
        d.stage,
        d.scores,
        d.total ?? null,
        d.recordedAt,
      ],
    );
  }
}
