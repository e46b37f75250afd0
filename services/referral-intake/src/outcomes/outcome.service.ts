import { ConflictException, Injectable } from '@nestjs/common';
import { assertInScope, canSeePcn, type AuthClaims } from '@sp/auth';
import {
  OUTCOME_RECORDED_V1,
  type OutcomeMeasure,
  type OutcomeRecordedV1,
  type OutcomeStage,
} from '@sp/contracts';
import { OutboxWriter } from '@sp/messaging';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { ReferralStore } from '../referrals/referral-store';
import type { RecordOutcomeDto } from './outcome.dto';
import { summaryScore } from './swemwbs';

/** A recorded wellbeing measure as the API answers it. `total`: the SWEMWBS metric score; null for ONS4. */
export interface OutcomeView {
  id: string;
  referralId: string;
  measure: OutcomeMeasure;
  stage: OutcomeStage;
  scores: number[];
  total: number | null;
  recordedAt: string;
}

interface OutcomeRow {
  id: string;
  referral_id: string;
  measure: OutcomeMeasure;
  stage: OutcomeStage;
  scores: number[];
  total: string | null;
  recorded_at: Date;
}

const UNIQUE_VIOLATION = '23505';
const isUniqueViolation = (err: unknown) =>
  typeof err === 'object' &&
  err !== null &&
  (err as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION;

function view(r: OutcomeRow): OutcomeView {
  return {
    id: r.id,
    referralId: r.referral_id,
    measure: r.measure,
    stage: r.stage,
    scores: r.scores.map(Number),
    total: r.total === null ? null : Number(r.total),
    recordedAt: r.recorded_at.toISOString(),
  };
}

/**
 * Wellbeing outcomes (ONS4, SWEMWBS) of a referral: one baseline and one follow-up per measure, only
 * with consent granted. Each is stored, added to the timeline and published as outcome.recorded.v1
 * through the outbox, all in one transaction.
 */
@Injectable()
export class OutcomeService {
  constructor(
    private readonly ds: DataSource,
    private readonly store: ReferralStore,
    private readonly outbox: OutboxWriter,
  ) {}

  async record(user: AuthClaims, referralId: string, dto: RecordOutcomeDto): Promise<OutcomeView> {
    // Scope first: waiting for consent only on referrals the caller may see keeps the 404 for another
    // PCN's referral as quick as for one that does not exist (no timing tells them apart).
    const found = await this.store.find(this.ds.manager, referralId);
    assertInScope(found && canSeePcn(user, found.pcn_code), 'referral');
    if (found.consent_state === 'none') await this.store.untilConsentKnown(this.ds.manager, referralId);
    try {
      return await this.ds.transaction((m) => this.recordIn(m, user, referralId, dto));
    } catch (err) {
      // Two racing requests for the same stage: the unique index lets one in.
      if (isUniqueViolation(err)) throw this.alreadyRecorded(dto);
      throw err;
    }
  }

  private async recordIn(
    m: EntityManager,
    user: AuthClaims,
    referralId: string,
    dto: RecordOutcomeDto,
  ): Promise<OutcomeView> {
    // The lock orders this after any consent event being applied to the same referral.
    const row = await this.store.lock(m, referralId);
    assertInScope(row && canSeePcn(user, row.pcn_code), 'referral');
    if (row.consent_state !== 'granted') {
      throw new ConflictException(
        `outcomes need the person's consent: consent for this referral is ${
          row.consent_state === 'none' ? 'not yet recorded' : row.consent_state
        }`,
      );
    }
    const stages: { stage: OutcomeStage }[] = await m.query(
      `SELECT stage FROM referral_outcome WHERE referral_id = $1 AND measure = $2`,
      [referralId, dto.measure],
    );
    if (stages.some((s) => s.stage === dto.stage)) throw this.alreadyRecorded(dto);
    if (dto.stage === 'follow-up' && !stages.some((s) => s.stage === 'baseline')) {
      throw new ConflictException(`record the ${dto.measure} baseline before its follow-up`);
    }

    // The service the person was placed with: the accepted (or completed) offer, else the latest one.
    const [offer]: { service_id: string; organisation_id: string }[] = await m.query(
      `SELECT service_id, organisation_id FROM referral_offer WHERE referral_id = $1
        ORDER BY (status IN ('accepted', 'completed')) DESC, updated_at DESC LIMIT 1`,
      [referralId],
    );
    const id = randomUUID();
    const eventId = randomUUID();
    const now = new Date();
    const total = summaryScore(dto.measure, dto.scores);
    const [saved]: OutcomeRow[] = await m.query(
      `INSERT INTO referral_outcome (id, referral_id, measure, stage, scores, total, service_id, organisation_id,
         recorded_by, recorded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [
        id,
        referralId,
        dto.measure,
        dto.stage,
        dto.scores,
        total,
        offer?.service_id ?? null,
        offer?.organisation_id ?? null,
        user.sub,
        now,
      ],
    );
    const data: OutcomeRecordedV1 = {
      outcomeId: id,
      referralId,
      pcnCode: row.pcn_code,
      practiceCode: row.practice_code,
      ...(offer ? { serviceId: offer.service_id, organisationId: offer.organisation_id } : {}),
      needs: row.needs,
      measure: dto.measure,
      stage: dto.stage,
      scores: dto.scores,
      ...(total !== null ? { total } : {}),
      recordedAt: now.toISOString(),
    };
    await this.outbox.enqueue(m, {
      id: eventId,
      type: OUTCOME_RECORDED_V1,
      subject: referralId,
      data,
      time: now,
    });
    // The timeline says that it was recorded, not what the person answered: referrers read it too.
    await this.store.addTimeline(m, referralId, {
      kind: 'outcome-recorded',
      detail: { outcomeId: id, measure: dto.measure, stage: dto.stage },
      causeId: eventId,
      at: now,
    });
    return view(saved);
  }

  async list(user: AuthClaims, referralId: string): Promise<OutcomeView[]> {
    const row = await this.store.find(this.ds.manager, referralId);
    assertInScope(row && canSeePcn(user, row.pcn_code), 'referral');
    const rows: OutcomeRow[] = await this.ds.query(
      `SELECT * FROM referral_outcome WHERE referral_id = $1 ORDER BY recorded_at, measure, stage`,
      [referralId],
    );
    return rows.map(view);
  }

  private alreadyRecorded(dto: RecordOutcomeDto): ConflictException {
    return new ConflictException(`the ${dto.measure} ${dto.stage} of this referral is already recorded`);
  }
}
