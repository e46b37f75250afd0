import { Injectable } from '@nestjs/common';
import {
  ANALYTICS_LOAD_CHANGED_V1,
  ANALYTICS_OUTCOME_RECORDED_V1,
  ANALYTICS_STATUS_CHANGED_V1,
  type AgeBand,
  type AnalyticsLoadChangedV1,
  type AnalyticsOutcomeRecordedV1,
  type AnalyticsStatusChangedV1,
  type CapacityUpdatedV1,
  type NeedCode,
  type OutcomeMeasure,
  type OutcomeStage,
} from '@sp/contracts';
import { OutboxWriter } from '@sp/messaging';
import type { EntityManager } from 'typeorm';
import { AnalyticsKeys } from '../common/metrics-config';
import { DETAILS_KNOWN, type StatusChangeRow } from './referral-facts.service';

interface PendingOutcome {
  outcome_id: string;
  ics_code: string | null;
  pcn_code: string;
  practice_code: string;
  needs: NeedCode[];
  service_id: string | null;
  measure: OutcomeMeasure;
  stage: OutcomeStage;
  scores: number[];
  total: string | null;
  recorded_at: Date;
  person_key: string | null;
  age_band: AgeBand | null;
  postcode_district: string | null;
}

/** (active + reserved) / maxActive to 3 places, as the capacity service reckons it; no room at all is full. */
export function utilisationOf(load: { active: number; reserved: number; maxActive: number }): number {
  if (load.maxActive <= 0) return 1;
  return Math.round(((load.active + load.reserved) / load.maxActive) * 1000) / 1000;
}

/**
 * Writes the de-identified `sp.analytics.events.v1` twins of what the projections learn, through the
 * outbox in the consumer's own transaction: a status change is published exactly when it is projected.
 */
@Injectable()
export class AnalyticsPublisher {
  constructor(
    private readonly outbox: OutboxWriter,
    private readonly keys: AnalyticsKeys,
  ) {}

  /**
   * Publishes the referrals' recorded status changes not yet published, each referral's oldest first,
   * once the referral's details (person key, age band, district...) are known: its receipt may still be
   * on its way. Three statements however many referrals.
   */
  async flushStatusChanges(m: EntityManager, referralIds: readonly string[]): Promise<number> {
    if (referralIds.length === 0) return 0;
    const ready: StatusChangeRow[] = await m.query(
      `SELECT s.id, s.from_status, s.to_status, s.at, f.person_key, f.ics_code, f.pcn_code, f.practice_code,
              f.age_band, f.postcode_district, f.needs
         FROM status_change s JOIN referral_fact f USING (referral_id)
        WHERE s.referral_id = ANY($1::uuid[]) AND s.published_at IS NULL AND ${DETAILS_KNOWN('f')}
        ORDER BY s.referral_id, s.at, s.id
        FOR UPDATE OF s`,
      [referralIds],
    );
    if (ready.length === 0) return 0;
    await this.publishStatusChanges(m, ready);
    await m.query(`UPDATE status_change SET published_at = now() WHERE id = ANY($1::bigint[])`, [
      ready.map((p) => p.id),
    ]);
    return ready.length;
  }

  /** Writes the analytics twins of status changes whose referral's details are known. */
  async publishStatusChanges(m: EntityManager, changes: StatusChangeRow[]): Promise<void> {
    await this.outbox.enqueueMany(
      m,
      changes.map((p) => {
        const data: AnalyticsStatusChangedV1 = {
          personKey: this.keys.personKeyFor(p.ics_code!, p.person_key!),
          icsCode: p.ics_code!,
          pcnCode: p.pcn_code!,
          practiceCode: p.practice_code!,
          ageBand: p.age_band!,
          postcodeDistrict: p.postcode_district!,
          needs: p.needs,
          ...(p.from_status ? { from: p.from_status } : {}),
          to: p.to_status,
          at: p.at.toISOString(),
        };
        return { type: ANALYTICS_STATUS_CHANGED_V1, subject: data.personKey, data, time: p.at };
      }),
    );
  }

  /**
   * Publishes the referral's wellbeing outcomes not yet published, as analytics.outcome-recorded.v1, once
   * its person key, age band and district are known (like status changes, they wait for the receipt).
   */
  async flushOutcomes(m: EntityManager, referralId: string): Promise<number> {
    const pending: PendingOutcome[] = await m.query(
      `SELECT o.outcome_id, o.ics_code, o.pcn_code, o.practice_code, o.needs, o.service_id, o.measure, o.stage,
              o.scores, o.total, o.recorded_at, f.person_key, f.age_band, f.postcode_district
         FROM outcome_record o JOIN referral_fact f USING (referral_id)
        WHERE o.referral_id = $1 AND o.published_at IS NULL
        ORDER BY o.recorded_at, o.outcome_id
        FOR UPDATE OF o`,
      [referralId],
    );
    const ready = pending.filter((p) => p.ics_code && p.person_key && p.age_band && p.postcode_district);
    if (ready.length === 0) return 0;
    await this.outbox.enqueueMany(
      m,
      ready.map((p) => {
        const data: AnalyticsOutcomeRecordedV1 = {
          personKey: this.keys.personKeyFor(p.ics_code!, p.person_key!),
          icsCode: p.ics_code!,
          pcnCode: p.pcn_code,
          practiceCode: p.practice_code,
          ageBand: p.age_band!,
          postcodeDistrict: p.postcode_district!,
          needs: p.needs,
          ...(p.service_id ? { serviceId: p.service_id } : {}),
          measure: p.measure,
          stage: p.stage,
          scores: p.scores.map(Number),
          ...(p.total !== null ? { total: Number(p.total) } : {}),
          at: p.recorded_at.toISOString(),
        };
        return { type: ANALYTICS_OUTCOME_RECORDED_V1, subject: data.personKey, data, time: p.recorded_at };
      }),
    );
    await m.query(`UPDATE outcome_record SET published_at = now() WHERE outcome_id = ANY($1::uuid[])`, [
      ready.map((p) => p.outcome_id),
    ]);
    return ready.length;
  }

  async loadChanged(m: EntityManager, update: CapacityUpdatedV1, icsCode: string | null): Promise<void> {
    const data: AnalyticsLoadChangedV1 = {
      serviceId: update.serviceId,
      organisationId: update.organisationId,
      ...(icsCode ? { icsCode } : {}),
      active: update.active,
      reserved: update.reserved,
      maxActive: update.maxActive,
      utilisation: utilisationOf(update),
      status: update.status,
      at: update.changedAt,
    };
    await this.outbox.enqueue(m, {
      type: ANALYTICS_LOAD_CHANGED_V1,
      subject: data.serviceId,
      data,
      time: new Date(update.changedAt),
    });
  }
}
