/**
 * NHS Digital's disclosure control for published counts (CONTRACT.md invariant 5): a count from 1 to
 * `threshold` is suppressed, any other is rounded to the nearest `roundingBase`. Zero stays zero.
 */
export interface DisclosureRule {
  threshold: number;
  roundingBase: number;
}

function positiveInt(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number of 0 or more`);
  return n;
}

/** The rule from `SMALL_NUMBER_THRESHOLD` (default 7) and `ROUNDING_BASE` (default 5). */
export function disclosureRuleFromEnv(env: NodeJS.ProcessEnv = process.env): DisclosureRule {
  const threshold = positiveInt(env.SMALL_NUMBER_THRESHOLD, 7, 'SMALL_NUMBER_THRESHOLD');
  const roundingBase = positiveInt(env.ROUNDING_BASE, 5, 'ROUNDING_BASE');
  return { threshold, roundingBase: Math.max(1, roundingBase) };
}

/** A count as an ICS may see it: null when suppressed. */
export function disclose(count: number, rule: DisclosureRule): number | null {
  if (count <= 0) return 0;
  if (count <= rule.threshold) return null;
  return Math.round(count / rule.roundingBase) * rule.roundingBase;
}

/** Whether a figure derived from `count` people (a median, a percentile) may be shown at all. */
export function canDiscloseFigureOf(count: number, rule: DisclosureRule): boolean {
  return count > rule.threshold;
}
