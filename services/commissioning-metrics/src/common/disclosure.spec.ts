import { canDiscloseFigureOf, disclose, disclosureRuleFromEnv } from './disclosure';

describe('disclose', () => {
  const rule = { threshold: 7, roundingBase: 5 };

  it('suppresses 1 to 7, keeps 0, and rounds the rest to the nearest 5', () => {
    expect([0, 1, 3, 7, 8, 12, 13, 15, 17, 18, 102].map((n) => disclose(n, rule))).toEqual([
      0,
      null,
      null,
      null,
      10,
      10,
      15,
      15,
      15,
      20,
      100,
    ]);
  });

  it('follows a configured rule', () => {
    const other = disclosureRuleFromEnv({ SMALL_NUMBER_THRESHOLD: '10', ROUNDING_BASE: '10' });
    expect(other).toEqual({ threshold: 10, roundingBase: 10 });
    expect(disclose(10, other)).toBeNull();
    expect(disclose(14, other)).toBe(10);
    expect(disclose(15, other)).toBe(20);
    expect(canDiscloseFigureOf(10, other)).toBe(false);
    expect(canDiscloseFigureOf(11, other)).toBe(true);
  });

  it('defaults to 7 and 5, and refuses nonsense', () => {
    expect(disclosureRuleFromEnv({})).toEqual({ threshold: 7, roundingBase: 5 });
    expect(() => disclosureRuleFromEnv({ ROUNDING_BASE: 'five' })).toThrow(/ROUNDING_BASE/);
  });
});
