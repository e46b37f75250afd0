import { disclose, suppressComplement, type DisclosureRule } from './disclosure';

const rule: DisclosureRule = { threshold: 7, roundingBase: 5 };
const exact: DisclosureRule = { threshold: 7, roundingBase: 1 };

/** A total and its parts from true counts, disclosed by `r` and then complemented. */
function publish(raw: number[], r: DisclosureRule = rule) {
  const sum = raw.reduce((a, b) => a + b, 0);
  return suppressComplement({ total: disclose(sum, r), parts: raw.map((n) => disclose(n, r)), raw });
}

describe('suppressComplement', () => {
  it('hides the smallest non-zero part still shown when exactly one part is hidden', () => {
    // 9 + 3 + 14 = 26: 3 is suppressed, and 26 - 9 - 14 would give it away; 9 goes too.
    expect(publish([9, 3, 0, 14], exact)).toEqual({ total: 26, parts: [null, null, 0, 14] });
    expect(publish([9, 3, 0, 14])).toEqual({ total: 25, parts: [null, null, 0, 15] });
  });

  it('never picks a zero, and breaks ties by order', () => {
    expect(publish([0, 2, 0, 10, 10], exact)).toEqual({ total: 22, parts: [0, null, 0, null, 10] });
  });

  it('leaves a group alone when no part, or two or more parts, are hidden', () => {
    expect(publish([9, 12, 0], exact)).toEqual({ total: 21, parts: [9, 12, 0] });
    expect(publish([3, 4, 20], exact)).toEqual({ total: 27, parts: [null, null, 20] });
    expect(publish([0, 0, 0])).toEqual({ total: 0, parts: [0, 0, 0] });
  });

  it('leaves a group alone when its total is itself hidden', () => {
    expect(publish([3, 0, 2])).toEqual({ total: null, parts: [null, 0, null] });
    expect(publish([5, 0, 0])).toEqual({ total: null, parts: [null, 0, 0] });
  });

  it('hides the total when no other part could serve (parts that do not add up)', () => {
    expect(suppressComplement({ total: 20, parts: [null, 0, 0], raw: [3, 0, 0] })).toEqual({
      total: null,
      parts: [null, 0, 0],
    });
  });

  it('leaves no group whose one hidden part equals the total minus what is shown', () => {
    // Every split of 8 to 30 people over three parts, without rounding: whatever is published, no hidden
    // part can be recovered by subtraction.
    for (let a = 0; a <= 30; a++) {
      for (let b = 0; a + b <= 30; b++) {
        for (let c = 0; a + b + c <= 30; c++) {
          const { total, parts } = publish([a, b, c], exact);
          if (total === null) continue;
          expect(parts.filter((p) => p === null).length).not.toBe(1);
        }
      }
    }
  });

  it('does not change the input', () => {
    const parts = [null, 9, 12];
    suppressComplement({ total: 25, parts, raw: [4, 9, 12] });
    expect(parts).toEqual([null, 9, 12]);
  });
});
