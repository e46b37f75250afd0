import { OUTCOME_ITEM_RULES, type OutcomeMeasure } from '@sp/contracts';

/**
 * SWEMWBS raw total (the seven item scores summed, 7 to 35) to its metric score, from the published
 * Rasch-based conversion table (Warwick Medical School). The raw total is ordinal; only the metric
 * score is an interval scale, so means and changes are computed on it, and results compare with
 * other SWEMWBS studies only when scored this way. Index 0 is raw 7.
 */
const SWEMWBS_METRIC = Object.freeze([
  7.0, 9.51, 11.25, 12.4, 13.33, 14.08, 14.75, 15.32, 15.84, 16.36, 16.88, 17.43, 17.98, 18.59, 19.25, 19.98,
  20.73, 21.54, 22.35, 23.21, 24.11, 25.03, 26.02, 27.03, 28.13, 29.31, 30.7, 32.55, 35.0,
]);

/** The metric score of a SWEMWBS raw total; throws for a total no valid answer sheet can have. */
export function swemwbsMetricScore(rawTotal: number): number {
  if (!Number.isInteger(rawTotal) || rawTotal < 7 || rawTotal > 35) {
    throw new RangeError('a SWEMWBS raw total is a whole number from 7 to 35');
  }
  return SWEMWBS_METRIC[rawTotal - 7];
}

/**
 * The summary score of a measure: the SWEMWBS metric score; none for ONS4, whose four questions are
 * reported one by one (ONS advises against adding them up, and anxiety runs the other way).
 */
export function summaryScore(measure: OutcomeMeasure, scores: readonly number[]): number | null {
  const rule = OUTCOME_ITEM_RULES[measure];
  if (scores.length !== rule.items) throw new RangeError(`${measure} takes ${rule.items} scores`);
  if (measure === 'ons4') return null;
  return swemwbsMetricScore(scores.reduce((a, b) => a + b, 0));
}
