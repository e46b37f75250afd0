import { NotFoundException } from '@nestjs/common';
import { ValidationProblem } from '@sp/platform';
import type { AuthClaims } from '@sp/auth';
import type { IcsDirectory } from '../common/metrics-config';

/** Which rows a caller may count, and whether they see exact counts. */
export interface MetricsScope {
  pcnCode?: string;
  icsCode?: string;
  exact: boolean;
}

/**
 * pcn_ops: their own PCN, exact. ics_analyst: their ICS (optionally one of its PCNs, by the ICS
 * pcn.registered.v1 gave it, else the environment's), under the small-number rule. admin: anything,
 * exact. A PCN outside the caller's reach is a 404, as if unknown.
 */
export async function metricsScope(
  user: AuthClaims,
  pcnCode: string | undefined,
  ics: IcsDirectory,
): Promise<MetricsScope> {
  const pcn = pcnCode?.toUpperCase();
  switch (user.role) {
    case 'pcn_ops':
      if (pcn && pcn !== user.pcn) throw new NotFoundException('PCN not found');
      return { pcnCode: user.pcn, exact: true };
    case 'ics_analyst': {
      const own = user.ics!.toUpperCase();
      if (pcn && (await ics.icsOf(pcn)) !== own) throw new NotFoundException('PCN not found');
      return { pcnCode: pcn, icsCode: own, exact: false };
    }
    case 'admin':
      return { pcnCode: pcn, exact: true };
    case 'referrer':
    case 'link_worker':
    case 'vcso_coordinator':
      // The controller's @Roles keeps these out; refuse loudly should that ever change.
      throw new NotFoundException('PCN not found');
  }
}

/** `from`/`to` as instants: a bare date means midnight UTC starting it. */
export function instant(value: string | undefined): string | null {
  if (!value) return null;
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
}

/** `from` (inclusive) and `to` (exclusive) on `column`; 400 when they are the wrong way round. */
export function windowWhere(
  query: { from?: string; to?: string },
  column: string,
  params: unknown[],
): string[] {
  const from = instant(query.from);
  const to = instant(query.to);
  if (from && to && new Date(from) >= new Date(to)) {
    throw new ValidationProblem([{ field: 'to', message: 'to must be after from' }]);
  }
  const where: string[] = [];
  if (from) {
    params.push(from);
    where.push(`${column} >= $${params.length}::timestamptz`);
  }
  if (to) {
    params.push(to);
    where.push(`${column} < $${params.length}::timestamptz`);
  }
  return where;
}

/** SQL conditions and parameters for a scope on a table with pcn_code and ics_code columns. */
export function scopeWhere(scope: MetricsScope, params: unknown[], alias = ''): string[] {
  const a = alias ? `${alias}.` : '';
  const where: string[] = [];
  if (scope.pcnCode) {
    params.push(scope.pcnCode);
    where.push(`${a}pcn_code = $${params.length}`);
  }
  if (scope.icsCode) {
    params.push(scope.icsCode);
    where.push(`${a}ics_code = $${params.length}`);
  }
  return where;
}

/**
 * The WHERE clause of a scoped metrics query, and its parameters: the `fixed` conditions, the
 * caller's scope (columns prefixed with `alias`) and the `from`/`to` window on `time`. Callers may
 * push further parameters after these.
 */
export function scopedWhere(
  scope: MetricsScope,
  query: { from?: string; to?: string },
  opts: { time: string; fixed?: string[]; alias?: string },
): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const conditions = [
    ...(opts.fixed ?? []),
    ...scopeWhere(scope, params, opts.alias),
    ...windowWhere(query, opts.time, params),
  ];
  return { where: conditions.length ? conditions.join(' AND ') : 'true', params };
}

/** A list the metrics API answers whole: every item on one page, with the disclosure rule it was shown under. */
export function wholePage<T, D>(disclosure: D, items: T[]) {
  return { disclosure, items, page: 1, pageSize: items.length, total: items.length };
}
