import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AuthClaims } from '@sp/auth';
import type { OutcomeMeasure } from '@sp/contracts';
import type { DataSource } from 'typeorm';
import { canDiscloseFigureOf, disclose, type DisclosureRule } from '../common/disclosure';
import { DISCLOSURE_RULE } from '../common/disclosure-rule.token';
import { IcsDirectory } from '../common/metrics-config';
import { metricsScope, scopedWhere, wholePage } from './metrics-scope';
import type { MetricsQuery } from './metrics.dto';
import { OUTCOME_ITEMS, type OutcomePage, type OutcomeScoreView } from './outcome-metrics.dto';

type MeanColumn = `${'b' | 'f' | 'c'}${1 | 2 | 3 | 4 | 't'}`;

/**
 * One service, need and measure. Means at baseline (b), at follow-up (f) and of the change (c), of ONS4
 * items 1-4 and of the SWEMWBS metric score (t).
 */
type PairRow = {
  service_id: string | null;
  organisation_id: string | null;
  need: string;
  measure: OutcomeMeasure;
  pairs: number;
} & { [column in MeanColumn]: number | null };

const csvCell = (v: string | number | boolean | null) => (v === null ? '*' : String(v));

/**
 * Wellbeing change per service, need and measure, from `outcome_record`: a pair is a referral's
 * baseline and follow-up of one measure, counted under the follow-up's service and needs, in the window
 * when its follow-up was recorded.
 */
@Injectable()
export class OutcomeMetricsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly ics: IcsDirectory,
    @Inject(DISCLOSURE_RULE) private readonly rule: DisclosureRule,
  ) {}

  async outcomes(user: AuthClaims, query: MetricsQuery): Promise<OutcomePage> {
    const scope = await metricsScope(user, query.pcnCode, this.ics);
    const { where, params } = scopedWhere(scope, query, {
      time: 'f.recorded_at',
      fixed: [`f.stage = 'follow-up'`],
      alias: 'f',
    });
    // Means and the mean change (over the same pairs) rounded in numeric, so 11.5075 is 11.51 as on paper.
    const mean = (expr: string, name: string) => `round(avg(${expr}), 2)::float8 AS ${name}`;
    const items = [1, 2, 3, 4].flatMap((i) => [
      mean(`b.scores[${i}]`, `b${i}`),
      mean(`f.scores[${i}]`, `f${i}`),
      mean(`f.scores[${i}] - b.scores[${i}]`, `c${i}`),
    ]);
    // Ordered by codes, not by size: an ICS must not learn which suppressed row is the larger.
    const rows: PairRow[] = await this.ds.query(
      `SELECT f.service_id, f.organisation_id, need, f.measure, count(*)::int AS pairs, ${items.join(', ')},
              ${mean('b.total', 'bt')}, ${mean('f.total', 'ft')}, ${mean('f.total - b.total', 'ct')}
         FROM outcome_record f
         JOIN outcome_record b ON b.referral_id = f.referral_id AND b.measure = f.measure AND b.stage = 'baseline'
        CROSS JOIN LATERAL unnest(f.needs) AS need
        WHERE ${where}
        GROUP BY f.service_id, f.organisation_id, need, f.measure
        ORDER BY f.measure, need, f.service_id NULLS LAST, f.organisation_id`,
      params,
    );
    const out = rows.map((r) => {
      // A mean of a handful of people can give one of them away: it goes with the count behind it.
      const visible = scope.exact || canDiscloseFigureOf(r.pairs, this.rule);
      const columns = r.measure === 'ons4' ? (['1', '2', '3', '4'] as const) : (['t'] as const);
      const scores: OutcomeScoreView[] = OUTCOME_ITEMS[r.measure].map(({ item, higherIsBetter }, i) => ({
        item,
        higherIsBetter,
        meanBaseline: visible ? r[`b${columns[i]}`] : null,
        meanFollowUp: visible ? r[`f${columns[i]}`] : null,
        meanChange: visible ? r[`c${columns[i]}`] : null,
      }));
      return {
        serviceId: r.service_id,
        organisationId: r.organisation_id,
        need: r.need,
        measure: r.measure,
        pairs: scope.exact ? r.pairs : disclose(r.pairs, this.rule),
        scores,
      };
    });
    return {
      ...(scope.pcnCode ? { pcnCode: scope.pcnCode } : {}),
      ...(scope.icsCode ? { icsCode: scope.icsCode } : {}),
      ...(query.from ? { from: query.from } : {}),
      ...(query.to ? { to: query.to } : {}),
      ...wholePage({ exact: scope.exact, ...this.rule }, out),
    };
  }

  /** The same figures as CSV, one line per service, need, measure and item; suppressed cells are `*`. */
  async outcomesCsv(user: AuthClaims, query: MetricsQuery): Promise<string> {
    const page = await this.outcomes(user, query);
    const header = [
      'serviceId',
      'organisationId',
      'need',
      'measure',
      'item',
      'higherIsBetter',
      'pairs',
      'meanBaseline',
      'meanFollowUp',
      'meanChange',
    ];
    const lines = page.items.flatMap((g) =>
      g.scores.map((s) =>
        [
          g.serviceId ?? '',
          g.organisationId ?? '',
          g.need,
          g.measure,
          s.item,
          s.higherIsBetter,
          csvCell(g.pairs),
          csvCell(s.meanBaseline),
          csvCell(s.meanFollowUp),
          csvCell(s.meanChange),
        ].join(','),
      ),
    );
    return [header.join(','), ...lines].join('\r\n') + '\r\n';
  }
}
