import { summaryScore, swemwbsMetricScore } from './swemwbs';

describe('SWEMWBS conversion', () => {
  // The published table, raw 7 to 35, checked value by value.
  const table: [number, number][] = [
    [7, 7.0],
    [8, 9.51],
    [9, 11.25],
    [10, 12.4],
    [11, 13.33],
    [12, 14.08],
    [13, 14.75],
    [14, 15.32],
    [15, 15.84],
    [16, 16.36],
    [17, 16.88],
    [18, 17.43],
    [19, 17.98],
    [20, 18.59],
    [21, 19.25],
    [22, 19.98],
    [23, 20.73],
    [24, 21.54],
    [25, 22.35],
    [26, 23.21],
    [27, 24.11],
    [28, 25.03],
    [29, 26.02],
    [30, 27.03],
    [31, 28.13],
    [32, 29.31],
    [33, 30.7],
    [34, 32.55],
    [35, 35.0],
  ];

  it.each(table)('raw %i converts to %f', (raw, metric) => {
    expect(swemwbsMetricScore(raw)).toBe(metric);
  });

  it('rises with every raw point, from 7.00 to 35.00', () => {
    const all = Array.from({ length: 29 }, (_, i) => swemwbsMetricScore(i + 7));
    expect(all[0]).toBe(7);
    expect(all[28]).toBe(35);
    for (let i = 1; i < all.length; i++) expect(all[i]).toBeGreaterThan(all[i - 1]);
  });

  it.each([6, 36, 0, 20.5, NaN])('refuses raw total %p', (raw) => {
    expect(() => swemwbsMetricScore(raw)).toThrow(RangeError);
  });

  it('scores SWEMWBS answers by their summed raw total, and gives ONS4 no summary', () => {
    expect(summaryScore('swemwbs', [3, 3, 3, 3, 3, 3, 3])).toBe(19.25);
    expect(summaryScore('swemwbs', [1, 1, 1, 1, 1, 1, 1])).toBe(7);
    expect(summaryScore('swemwbs', [5, 5, 5, 5, 5, 5, 5])).toBe(35);
    expect(summaryScore('swemwbs', [4, 4, 4, 4, 4, 4, 4])).toBe(25.03);
    expect(summaryScore('ons4', [4, 5, 3, 7])).toBeNull();
    expect(() => summaryScore('ons4', [4, 5, 3])).toThrow(RangeError);
  });
});
