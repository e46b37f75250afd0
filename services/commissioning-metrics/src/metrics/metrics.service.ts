import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AuthClaims } from '@sp/auth';
import { CLOSE_REASONS } from '@sp/contracts';
import type { DataSource } from 'typeorm';
import { canDiscloseFigureOf, disclose, suppressComplement, type DisclosureRule } from '../common/disclosure';
import { DISCLOSURE_RULE } from '../common/disclosure-rule.token';
import { IcsDirectory } from '../common/metrics-config';
import { metricsScope, scopedWhere, windowWhere, wholePage, type MetricsScope } from './metrics-scope';
import type {
  HistoryQuery,
  LoadHistoryView,
  MetricsQuery,
  ServiceLoadPage,
  ServiceLoadView,
  ServiceOutcomePage,
  SummaryView,
  UnmetNeedPage,
  WaitView,
} from './metrics.dto';

const COUNT_COLUMNS = {
  received: 'received_at',
  consented: 'consented_at',
  consentDeclined: 'consent_declined_at',
  assessed: 'assessed_at',
  offered: 'first_offer_at',
  waitlisted: 'waitlisted_at',
  accepted: 'accepted_at',
  completed: 'completed_at',
  didNotAttend: 'did_not_attend_at',
  closed: 'closed_at',
} as const;
type CountName = keyof typeof COUNT_COLUMNS;
const COUNT_NAMES = Object.keys(COUNT_COLUMNS) as CountName[];

const WAITS = {
  toConsent: 'consented_at',
  toFirstOffer: 'first_offer_at',
  toAcceptance: 'accepted_at',
} as const;
type WaitName = keyof typeof WAITS;

const days = (column: string) => `extract(epoch from (${column} - received_at)) / 86400.0`;
const round1 = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);
const csvCell = (v: string | number | null) => (v === null ? '*' : String(v));

/** The commissioning figures, computed in Postgres from the projections and disclosed per scope. */
@Injectable()
export class MetricsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly ics: IcsDirectory,
    @Inject(DISCLOSURE_RULE) private readonly rule: DisclosureRule,
  ) {}

  private shown(scope: MetricsScope, n: number): number | null {
    return scope.exact ? n : disclose(n, this.rule);
  }

  private disclosure(scope: MetricsScope) {
    return { exact: scope.exact, ...this.rule };
  }

  async summary(user: AuthClaims, query: MetricsQuery): Promise<SummaryView> {
    const scope = await metricsScope(user, query.pcnCode, this.ics);
    const { where, params } = scopedWhere(scope, query, {
      time: 'received_at',
      fixed: ['received_at IS NOT NULL'],
    });
    const counts = COUNT_NAMES.map((name) => `count(${COUNT_COLUMNS[name]})::int AS "${name}"`);
    const waits = (Object.keys(WAITS) as WaitName[]).flatMap((name) => [
      `count(${WAITS[name]})::int AS "${name}_n"`,
      `percentile_cont(0.5) WITHIN GROUP (ORDER BY ${days(WAITS[name])}) AS "${name}_median"`,
      `percentile_cont(0.9) WITHIN GROUP (ORDER BY ${days(WAITS[name])}) AS "${name}_p90"`,
    ]);
    const reasons = CLOSE_REASONS.map((r, i) => {
      params.push(r);
      return `count(closed_at) FILTER (WHERE close_reason = $${params.length})::int AS "reason_${i}"`;
    });
    const [row]: Record<string, number | null>[] = await this.ds.query(
      `SELECT ${[...counts, ...waits, ...reasons].join(', ')} FROM referral_fact WHERE ${where}`,
      params,
    );
    const suppressed: string[] = [];
    const show = (name: string, n: number): number | null => {
      const v = this.shown(scope, n);
      if (v === null) suppressed.push(name);
      return v;
    };
    const out: SummaryView = {
      ...(scope.pcnCode ? { pcnCode: scope.pcnCode } : {}),
      ...(scope.icsCode ? { icsCode: scope.icsCode } : {}),
      ...(query.from ? { from: query.from } : {}),
      ...(query.to ? { to: query.to } : {}),
      disclosure: this.disclosure(scope),
      counts: Object.fromEntries(
        COUNT_NAMES.map((name) => [name, show(name, Number(row[name]))]),
      ) as unknown as SummaryView['counts'],
      closedByReason: Object.fromEntries(
        CLOSE_REASONS.map((r, i) => [r, show(`closedByReason.${r}`, Number(row[`reason_${i}`]))]),
      ),
      days: {} as SummaryView['days'],
      suppressed,
    };
    for (const name of Object.keys(WAITS) as WaitName[]) {
      const n = Number(row[`${name}_n`]);
      // A median of a handful of people can give one of them away: it goes with the count behind it.
      const visible = scope.exact || canDiscloseFigureOf(n, this.rule);
      const wait: WaitView = {
        count: show(`days.${name}.count`, n),
        median: visible ? round1(row[`${name}_median`]) : null,
        p90: visible ? round1(row[`${name}_p90`]) : null,
      };
      if (!visible && n > 0) suppressed.push(`days.${name}.median`, `days.${name}.p90`);
      out.days[name] = wait;
    }
    if (!scope.exact) {
      // `closed` is the sum of closedByReason: see suppressComplement.
      const { total, parts } = suppressComplement({
        total: out.counts.closed,
        parts: CLOSE_REASONS.map((r) => out.closedByReason[r]),
        raw: CLOSE_REASONS.map((_, i) => Number(row[`reason_${i}`])),
      });
      if (total === null && out.counts.closed !== null) {
        out.counts.closed = null;
        suppressed.push('closed');
      }
      CLOSE_REASONS.forEach((r, i) => {
        if (parts[i] === null && out.closedByReason[r] !== null) {
          out.closedByReason[r] = null;
          suppressed.push(`closedByReason.${r}`);
        }
      });
    }
    return out;
  }

  /** The ICS whose services the caller sees; undefined for all (admin). */
  private async loadIcs(user: AuthClaims): Promise<string | undefined> {
    if (user.role === 'ics_analyst') return user.ics!.toUpperCase();
    if (user.role === 'pcn_ops') return this.ics.icsOf(user.pcn!);
    return undefined;
  }

  async vcsoLoad(user: AuthClaims, page = 1, pageSize = 500): Promise<ServiceLoadPage> {
    // Load is about services, not people: analytics.load-changed.v1 carries it exactly too.
    const ics = await this.loadIcs(user);
    const params: unknown[] = ics ? [ics] : [];
    const clause = ics ? 'WHERE ics_code = $1' : '';
    const [{ total }]: { total: number }[] = await this.ds.query(
      `SELECT count(*)::int AS total FROM service_load ${clause}`,
      params,
    );
    const rows: {
      service_id: string;
      organisation_id: string;
      ics_code: string | null;
      needs: string[];
      postcode_district: string | null;
      active: number;
      reserved: number;
      max_active: number;
      weekly_intake: number;
      offers_this_week: number;
      utilisation: number;
      status: string;
      changed_at: Date | null;
    }[] = await this.ds.query(
      `SELECT * FROM service_load ${clause} ORDER BY utilisation DESC, service_id
       LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`,
      params,
    );
    const items: ServiceLoadView[] = rows.map((r) => ({
      serviceId: r.service_id,
      organisationId: r.organisation_id,
      icsCode: r.ics_code,
      needs: r.needs,
      postcodeDistrict: r.postcode_district,
      active: r.active,
      reserved: r.reserved,
      maxActive: r.max_active,
      weeklyIntake: r.weekly_intake,
      offersThisWeek: r.offers_this_week,
      utilisation: r.utilisation,
      status: r.status,
      changedAt: r.changed_at ? r.changed_at.toISOString() : null,
    }));
    return { items, page, pageSize, total };
  }

  async loadHistory(user: AuthClaims, serviceId: string, query: HistoryQuery): Promise<LoadHistoryView> {
    const ics = await this.loadIcs(user);
    const known: { ics_code: string | null }[] = await this.ds.query(
      `SELECT ics_code FROM service_load WHERE service_id = $1`,
      [serviceId],
    );
    if (!known[0] || (ics && known[0].ics_code !== ics)) throw new NotFoundException('service not found');
    const params: unknown[] = [serviceId];
    const where = ['service_id = $1', ...windowWhere(query, 'at', params)].join(' AND ');
    const rows: {
      at: Date;
      active: number;
      reserved: number;
      max_active: number;
      weekly_intake: number;
      offers_this_week: number;
      utilisation: number;
      status: string;
      reason: string | null;
    }[] = await this.ds.query(
      `SELECT * FROM (SELECT * FROM service_load_history WHERE ${where} ORDER BY at DESC, id DESC LIMIT 1000) h
        ORDER BY at, id`,
      params,
    );
    return {
      serviceId,
      items: rows.map((r) => ({
        at: r.at.toISOString(),
        active: r.active,
        reserved: r.reserved,
        maxActive: r.max_active,
        weeklyIntake: r.weekly_intake,
        offersThisWeek: r.offers_this_week,
        utilisation: r.utilisation,
        status: r.status,
        reason: r.reason,
      })),
    };
  }

  async unmetNeed(user: AuthClaims, query: MetricsQuery): Promise<UnmetNeedPage> {
    const scope = await metricsScope(user, query.pcnCode, this.ics);
    const { where, params } = scopedWhere(scope, query, { time: 'at' });
    const rows: { need: string; district: string; n: number; waitlisted: number; none: number }[] =
      await this.ds.query(
        `SELECT need, postcode_district AS district, count(DISTINCT referral_id)::int AS n,
                count(*) FILTER (WHERE reason = 'waitlisted')::int AS waitlisted,
                count(*) FILTER (WHERE reason = 'no-suitable-service')::int AS none
           FROM unmet_need WHERE ${where}
          GROUP BY need, postcode_district ORDER BY n DESC, need, postcode_district`,
        params,
      );
    const items = rows.map((r) => ({
      need: r.need,
      postcodeDistrict: r.district,
      referrals: this.shown(scope, r.n),
      waitlisted: this.shown(scope, r.waitlisted),
      noSuitableService: this.shown(scope, r.none),
    }));
    return wholePage(this.disclosure(scope), items);
  }

  /** Per service: the offers made in the window (by the caller's PCN, or in their ICS) and their outcomes. */
  async serviceOutcomes(user: AuthClaims, query: MetricsQuery): Promise<ServiceOutcomePage> {
    const scope = await metricsScope(user, query.pcnCode, this.ics);
    const { where, params } = scopedWhere(scope, query, { time: 'made_at', fixed: ['made_at IS NOT NULL'] });
    const rows: Record<string, string | number>[] = await this.ds.query(
      `SELECT service_id, organisation_id, count(*)::int AS offered, count(accepted_at)::int AS accepted,
              count(declined_at)::int AS declined, count(expired_at)::int AS expired,
              count(cancelled_at)::int AS cancelled, count(completed_at)::int AS completed,
              count(did_not_attend_at)::int AS "didNotAttend"
         FROM offer_fact WHERE ${where}
        GROUP BY service_id, organisation_id ORDER BY offered DESC, service_id`,
      params,
    );
    const names = ['offered', 'accepted', 'declined', 'expired', 'cancelled', 'completed', 'didNotAttend'];
    const items = rows.map(
      (r) =>
        ({
          serviceId: r.service_id,
          organisationId: r.organisation_id,
          ...Object.fromEntries(names.map((n) => [n, this.shown(scope, Number(r[n]))])),
        }) as ServiceOutcomePage['items'][number],
    );
    return wholePage(this.disclosure(scope), items);
  }

  /**
   * The summary's counts by ISO week (London) of receipt, PCN, practice and need, as CSV.
   *
   * For an ICS, besides the small-number rule, each row gets complementary suppression
   * (suppressComplement) on the one group of its cells that adds up to a published cell: `closed` is
   * the sum of the `closed:<reason>` cells (every closure has exactly one reason). If exactly one
   * reason is suppressed while `closed` is shown, the smallest non-zero reason still shown is
   * suppressed too. The other columns are stages of one funnel, not parts of a total, and rows are not
   * summed by the file (a referral with two needs is in two rows), so no other cell can be derived by
   * subtraction within the file.
   */
  async exportCsv(user: AuthClaims, query: MetricsQuery): Promise<string> {
    const scope = await metricsScope(user, query.pcnCode, this.ics);
    const { where, params } = scopedWhere(scope, query, {
      time: 'received_at',
      fixed: ['received_at IS NOT NULL'],
    });
    const counts = COUNT_NAMES.map((name) => `count(${COUNT_COLUMNS[name]})::int AS "${name}"`);
    const reasons = CLOSE_REASONS.map((r, i) => {
      params.push(r);
      return `count(closed_at) FILTER (WHERE close_reason = $${params.length})::int AS "reason_${i}"`;
    });
    const rows: Record<string, string | number>[] = await this.ds.query(
      `SELECT to_char(received_at AT TIME ZONE 'Europe/London', 'IYYY-"W"IW') AS week, pcn_code, practice_code,
              need, ${[...counts, ...reasons].join(', ')}
         FROM referral_fact, unnest(needs) AS need
        WHERE ${where}
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      params,
    );
    const header = [
      'week',
      'pcnCode',
      'practiceCode',
      'need',
      ...COUNT_NAMES,
      ...CLOSE_REASONS.map((r) => `closed:${r}`),
    ];
    const lines = rows.map((r) => {
      const counts = COUNT_NAMES.map((name) => this.shown(scope, Number(r[name])));
      const raw = CLOSE_REASONS.map((_, i) => Number(r[`reason_${i}`]));
      let reasons = raw.map((n) => this.shown(scope, n));
      if (!scope.exact) {
        const closedAt = COUNT_NAMES.indexOf('closed');
        const group = suppressComplement({ total: counts[closedAt], parts: reasons, raw });
        counts[closedAt] = group.total;
        reasons = group.parts;
      }
      return [
        r.week,
        r.pcn_code,
        r.practice_code ?? '',
        r.need,
        ...counts.map(csvCell),
        ...reasons.map(csvCell),
      ].join(',');
    });
    return [header.join(','), ...lines].join('\r\n') + '\r\n';
  }
}
