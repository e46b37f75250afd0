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

/** A group of published cells that add up to a published total, as the small-number rule left them. */
export interface CellGroup {
  /** The group's total as shown: null when suppressed. */
  total: number | null;
  /** The parts as shown: null when suppressed. */
  parts: (number | null)[];
  /** The parts' true counts, to choose the complement by. */
  raw: number[];
}

/**
 * Complementary (secondary) suppression. When a group's total is published and exactly one of its
 * parts is suppressed, the hidden count is the total minus the others: exactly without rounding, to
 * within a few with it. So a second part is suppressed too: the smallest non-zero one still shown, so
 * that the two hidden cells together are more than the threshold and neither can be read off. Zeros are
 * never chosen: a hidden zero beside a hidden small count would leave their sum, and so both, small.
 * Should no such part exist (the data would not add up), the total is suppressed instead. Groups with a
 * hidden total, or with none or two or more hidden parts, are returned as they are.
 */
export function suppressComplement(group: CellGroup): { total: number | null; parts: (number | null)[] } {
  const parts = [...group.parts];
  const hidden = parts.filter((p) => p === null).length;
  if (group.total === null || hidden !== 1) return { total: group.total, parts };
  let pick = -1;
  parts.forEach((p, i) => {
    if (p !== null && group.raw[i] > 0 && (pick < 0 || group.raw[i] < group.raw[pick])) pick = i;
  });
  if (pick < 0) return { total: null, parts };
  parts[pick] = null;
  return { total: group.total, parts };
}
