import { Injectable } from '@nestjs/common';
import type { AgeBand, CloseReason, NeedCode, ReferralStatus, UnmetNeedReason } from '@sp/contracts';
import type { EntityManager } from 'typeorm';
import { IcsDirectory } from '../common/metrics-config';

/** A referral's milestones: each keeps the earliest time any event reported for it. */
export const MILESTONES = [
  'received_at',
  'consented_at',
  'consent_declined_at',
  'consent_withdrawn_at',
  'assessed_at',
  'first_offer_at',
  'waitlisted_at',
  'accepted_at',
  'completed_at',
  'did_not_attend_at',
] as const;
export type Milestone = (typeof MILESTONES)[number];

/**
 * SQL: the referral's details an analytics twin carries (person key, ICS, PCN, practice, age band,
 * district, needs) are all known on the `referral_fact` row aliased `f`. Until its receipt arrives a
 * referral has only what the status events carry.
 */
export const DETAILS_KNOWN = (f: string) =>
  `(${f}.person_key IS NOT NULL AND ${f}.ics_code IS NOT NULL AND ${f}.pcn_code IS NOT NULL AND ` +
  `${f}.practice_code IS NOT NULL AND ${f}.age_band IS NOT NULL AND ${f}.postcode_district IS NOT NULL ` +
  `AND cardinality(${f}.needs) > 0)`;

/** A recorded status change with the referral's details, as its analytics twin is built from. */
export interface StatusChangeRow {
  id: string;
  from_status: ReferralStatus | null;
  to_status: ReferralStatus;
  at: Date;
  person_key: string | null;
  ics_code: string | null;
  pcn_code: string | null;
  practice_code: string | null;
  age_band: AgeBand | null;
  postcode_district: string | null;
  needs: NeedCode[];
}

/** What a referral's receipt tells the metrics. */
export interface ReceivedFact {
  referralId: string;
  pcnCode: string;
  practiceCode: string;
  personKey: string;
  ageBand: string;
  postcodeDistrict: string;
  needs: string[];
  receivedAt: string;
}

/** A status change as intake reports it. */
export interface StatusChange {
  referralId: string;
  pcnCode: string;
  practiceCode: string;
  from?: ReferralStatus;
  to: ReferralStatus;
  closeReason?: CloseReason;
  at: string;
}

/** What can become of an offer. */
export const OFFER_MILESTONES = [
  'made_at',
  'accepted_at',
  'declined_at',
  'expired_at',
  'cancelled_at',
  'completed_at',
  'did_not_attend_at',
] as const;
export type OfferMilestone = (typeof OFFER_MILESTONES)[number];

/**
 * Upserts into `referral_fact`. Events about one referral come from four topics in no fixed order, so
 * every write creates the row if needed, fills the PCN (and its ICS) the first time it is known, keeps
 * the earliest time of each milestone (LEAST ignores nulls) and the newest status. The ICS is the
 * PCN's as IcsDirectory.forWrite sees it; a later pcn.registered.v1 moving the PCN re-attributes the
 * rows, which is why keeping the ICS already on a row is right.
 */
@Injectable()
export class ReferralFactsService {
  constructor(private readonly ics: IcsDirectory) {}

  async milestone(
    m: EntityManager,
    referralId: string,
    pcnCode: string,
    column: Milestone,
    at: string,
  ): Promise<void> {
    if (!MILESTONES.includes(column)) throw new Error(`not a milestone: ${String(column)}`);
    await m.query(
      `INSERT INTO referral_fact AS f (referral_id, pcn_code, ics_code, "${column}") VALUES ($1, $2, $3, $4)
       ON CONFLICT (referral_id) DO UPDATE SET
         pcn_code = COALESCE(f.pcn_code, EXCLUDED.pcn_code),
         ics_code = COALESCE(f.ics_code, EXCLUDED.ics_code),
         "${column}" = LEAST(f."${column}", EXCLUDED."${column}"),
         updated_at = now()`,
      [referralId, pcnCode, await this.ics.forWrite(m, pcnCode), at],
    );
  }

  /**
   * Records referrals' details from their receipts: one statement for a round of receipts of distinct
   * referrals (see distinctRounds; ids compared in lower case, as Postgres gives a uuid). Says, for each, whether status changes or outcomes that came before
   * it still wait to be published (read in the same statement), so that the caller flushes only when
   * there is something to flush.
   */
  async received(
    m: EntityManager,
    round: readonly ReceivedFact[],
  ): Promise<{ referralId: string; statusesPending: boolean; outcomesPending: boolean }[]> {
    if (round.length === 0) return [];
    const rows = [];
    for (const r of round) {
      rows.push({
        referral_id: r.referralId,
        pcn_code: r.pcnCode,
        ics_code: await this.ics.forWrite(m, r.pcnCode),
        practice_code: r.practiceCode,
        person_key: r.personKey,
        age_band: r.ageBand,
        postcode_district: r.postcodeDistrict,
        needs: r.needs,
        received_at: r.receivedAt,
      });
    }
    const found: { referral_id: string; statuses_pending: boolean; outcomes_pending: boolean }[] =
      await m.query(
        `INSERT INTO referral_fact AS f (referral_id, pcn_code, ics_code, practice_code, person_key, age_band,
                                         postcode_district, needs, received_at)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(referral_id uuid, pcn_code text, ics_code text,
           practice_code text, person_key text, age_band text, postcode_district text, needs text[],
           received_at timestamptz)
         ON CONFLICT (referral_id) DO UPDATE SET
           pcn_code = EXCLUDED.pcn_code,
           ics_code = EXCLUDED.ics_code,
           practice_code = EXCLUDED.practice_code,
           person_key = EXCLUDED.person_key,
           age_band = EXCLUDED.age_band,
           postcode_district = EXCLUDED.postcode_district,
           -- The needs agreed at assessment replace the referrer's, whichever arrives first.
           needs = CASE WHEN f.assessed_at IS NULL THEN EXCLUDED.needs ELSE f.needs END,
           received_at = LEAST(f.received_at, EXCLUDED.received_at),
           updated_at = now()
         RETURNING
           f.referral_id,
           EXISTS (SELECT 1 FROM status_change s WHERE s.referral_id = f.referral_id AND s.published_at IS NULL)
             AS statuses_pending,
           EXISTS (SELECT 1 FROM outcome_record o WHERE o.referral_id = f.referral_id AND o.published_at IS NULL)
             AS outcomes_pending`,
        [JSON.stringify(rows)],
      );
    const byId = new Map(found.map((f) => [f.referral_id, f] as const));
    return round.map((r) => {
      // Postgres answers a uuid in lower case; the contract takes either.
      const f = byId.get(r.referralId.toLowerCase());
      if (!f) throw new Error(`referral_fact: no row came back for a receipt`);
      return {
        referralId: r.referralId,
        statusesPending: f.statuses_pending,
        outcomesPending: f.outcomes_pending,
      };
    });
  }

  async assessed(m: EntityManager, referralId: string, pcnCode: string, needs: string[], at: string) {
    await m.query(
      `INSERT INTO referral_fact AS f (referral_id, pcn_code, ics_code, needs, assessed_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (referral_id) DO UPDATE SET
         pcn_code = COALESCE(f.pcn_code, EXCLUDED.pcn_code),
         ics_code = COALESCE(f.ics_code, EXCLUDED.ics_code),
         needs = CASE WHEN f.assessed_at IS NULL OR EXCLUDED.assessed_at >= f.assessed_at
                      THEN EXCLUDED.needs ELSE f.needs END,
         assessed_at = LEAST(f.assessed_at, EXCLUDED.assessed_at),
         updated_at = now()`,
      [referralId, pcnCode, await this.ics.forWrite(m, pcnCode), needs, at],
    );
  }

  /**
   * Records status changes (for the analytics stream) and moves each referral's status if its change is
   * the newest: one statement for a round of changes to distinct referrals (see distinctRounds). Where
   * a referral's details are known and no earlier change of it still waits (the usual case), its change
   * is recorded as published and returned in `published`: the caller publishes it in this same
   * transaction. Otherwise it is recorded as pending. It goes out with the others once the receipt
   * arrives (AnalyticsPublisher.flushStatusChanges); `behind` names the referrals whose details are
   * known already, for the caller to flush now.
   */
  async statusChanged(
    m: EntityManager,
    round: readonly StatusChange[],
  ): Promise<{ published: StatusChangeRow[]; behind: string[] }> {
    if (round.length === 0) return { published: [], behind: [] };
    const rows = [];
    for (const c of round) {
      rows.push({
        referral_id: c.referralId,
        pcn_code: c.pcnCode,
        ics_code: await this.ics.forWrite(m, c.pcnCode),
        practice_code: c.practiceCode,
        to_status: c.to,
        at: c.at,
        from_status: c.from ?? null,
      });
    }
    const recorded: (StatusChangeRow & { referral_id: string; published: boolean; known: boolean })[] =
      await m.query(
        `WITH i AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(referral_id uuid, pcn_code text, ics_code text,
           practice_code text, to_status text, at timestamptz, from_status text)
       ), f AS (
         INSERT INTO referral_fact AS f (referral_id, pcn_code, ics_code, practice_code, status, status_at)
         SELECT referral_id, pcn_code, ics_code, practice_code, to_status, at FROM i
         ON CONFLICT (referral_id) DO UPDATE SET
           pcn_code = COALESCE(f.pcn_code, EXCLUDED.pcn_code),
           ics_code = COALESCE(f.ics_code, EXCLUDED.ics_code),
           practice_code = COALESCE(f.practice_code, EXCLUDED.practice_code),
           status = CASE WHEN f.status_at IS NULL OR EXCLUDED.status_at >= f.status_at
                         THEN EXCLUDED.status ELSE f.status END,
           status_at = GREATEST(f.status_at, EXCLUDED.status_at),
           updated_at = now()
         RETURNING f.referral_id, f.person_key, f.ics_code, f.pcn_code, f.practice_code, f.age_band,
                   f.postcode_district, f.needs, ${DETAILS_KNOWN('f')} AS known
       ), s AS (
         INSERT INTO status_change (referral_id, from_status, to_status, at, published_at)
         SELECT i.referral_id, i.from_status, i.to_status, i.at,
                CASE WHEN f.known AND NOT EXISTS (
                  SELECT 1 FROM status_change p WHERE p.referral_id = i.referral_id AND p.published_at IS NULL)
                THEN now() END
           FROM i JOIN f ON f.referral_id = i.referral_id
         RETURNING id, referral_id, from_status, to_status, at, published_at IS NOT NULL AS published
       )
       SELECT s.id, s.referral_id, s.from_status, s.to_status, s.at, s.published, f.known, f.person_key, f.ics_code,
              f.pcn_code, f.practice_code, f.age_band, f.postcode_district, f.needs
         FROM s JOIN f ON f.referral_id = s.referral_id`,
        [JSON.stringify(rows)],
      );
    const byId = new Map(recorded.map((r) => [r.referral_id, r] as const));
    for (const c of round) {
      if (c.to === 'waitlisted') await this.milestone(m, c.referralId, c.pcnCode, 'waitlisted_at', c.at);
      if (c.to === 'closed') await this.closed(m, c.referralId, c.pcnCode, c.closeReason ?? 'other', c.at);
    }
    const published: StatusChangeRow[] = [];
    const behind: string[] = [];
    for (const c of round) {
      const row = byId.get(c.referralId.toLowerCase());
      if (!row) throw new Error(`status_change: no row came back for a change`);
      const { published: now, known, referral_id: _, ...change } = row;
      if (now) published.push(change);
      else if (known) behind.push(c.referralId);
    }
    return { published, behind };
  }

  /** The first closure stands, with its reason. */
  async closed(m: EntityManager, referralId: string, pcnCode: string, reason: CloseReason, at: string) {
    await m.query(
      `INSERT INTO referral_fact AS f (referral_id, pcn_code, ics_code, closed_at, close_reason)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (referral_id) DO UPDATE SET
         pcn_code = COALESCE(f.pcn_code, EXCLUDED.pcn_code),
         ics_code = COALESCE(f.ics_code, EXCLUDED.ics_code),
         close_reason = CASE WHEN f.closed_at IS NULL OR EXCLUDED.closed_at < f.closed_at
                                  OR (EXCLUDED.closed_at = f.closed_at AND f.close_reason = 'other')
                             THEN EXCLUDED.close_reason ELSE f.close_reason END,
         closed_at = LEAST(f.closed_at, EXCLUDED.closed_at),
         updated_at = now()`,
      [referralId, pcnCode, await this.ics.forWrite(m, pcnCode), at, reason],
    );
  }

  /** An offer's outcome times; like milestones, each keeps the earliest time reported. */
  async offer(
    m: EntityManager,
    o: { offerId: string; referralId: string; serviceId: string; organisationId: string; pcnCode: string },
    column: OfferMilestone,
    at: string,
  ): Promise<void> {
    if (!OFFER_MILESTONES.includes(column)) throw new Error(`not an offer milestone: ${String(column)}`);
    await m.query(
      `INSERT INTO offer_fact AS o (offer_id, referral_id, service_id, organisation_id, pcn_code, ics_code, "${column}")
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (offer_id) DO UPDATE SET "${column}" = LEAST(o."${column}", EXCLUDED."${column}")`,
      [
        o.offerId,
        o.referralId,
        o.serviceId,
        o.organisationId,
        o.pcnCode,
        await this.ics.forWrite(m, o.pcnCode),
        at,
      ],
    );
  }

  /** One row per referral and need; a later finding (waitlisted, then no suitable service) replaces it. */
  async unmet(
    m: EntityManager,
    u: {
      referralId: string;
      pcnCode: string;
      needs: string[];
      postcodeDistrict: string;
      reason: UnmetNeedReason;
      at: string;
    },
  ): Promise<void> {
    await m.query(
      `INSERT INTO unmet_need AS u (referral_id, need, pcn_code, ics_code, postcode_district, reason, at)
       SELECT $1, need, $2, $3, $4, $5, $6 FROM unnest($7::text[]) AS need
       ON CONFLICT (referral_id, need) DO UPDATE SET
         reason = CASE WHEN EXCLUDED.at >= u.at THEN EXCLUDED.reason ELSE u.reason END,
         postcode_district = CASE WHEN EXCLUDED.at >= u.at THEN EXCLUDED.postcode_district
                                  ELSE u.postcode_district END,
         at = GREATEST(u.at, EXCLUDED.at)`,
      [
        u.referralId,
        u.pcnCode,
        await this.ics.forWrite(m, u.pcnCode),
        u.postcodeDistrict,
        u.reason,
        u.at,
        u.needs,
      ],
    );
  }
}
