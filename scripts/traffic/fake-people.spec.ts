import { NEED_CODES } from '@sp/contracts';
import { NhsNumber, Postcode, isBelievableBirthDate } from '@sp/domain';
import { fakePerson, needMix, seededRng, wellbeingScores } from './fake-people';

describe('fake people for the demo and the simulator', () => {
  it('are valid in every field intake checks, and repeat for the same seed', () => {
    const rng = seededRng(42);
    for (let i = 0; i < 500; i++) {
      const p = fakePerson(rng, ['LS12', 'LS13']);
      expect(NhsNumber.isValid(p.nhsNumber)).toBe(true);
      expect(p.nhsNumber.startsWith('999')).toBe(true);
      expect(isBelievableBirthDate(p.birthDate)).toBe(true);
      expect(Postcode.isValid(p.postcode)).toBe(true);
      expect(['LS12', 'LS13']).toContain(Postcode.parse(p.postcode).district);
      expect(p.givenName).toMatch(/^[\p{L}][\p{L} '.-]*$/u);
      expect(p.familyName).toMatch(/^[\p{L}][\p{L} '.-]*$/u);
      if (p.phone) expect(p.phone).toMatch(/^07700 900\d{3}$/);
    }
    expect(fakePerson(seededRng(7), ['LS7'])).toEqual(fakePerson(seededRng(7), ['LS7']));
  });

  it('names one to three distinct known needs, loneliness and low mood most often', () => {
    const rng = seededRng(1);
    const seen = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const needs = needMix(rng);
      expect(needs.length).toBeGreaterThanOrEqual(1);
      expect(needs.length).toBeLessThanOrEqual(3);
      expect(new Set(needs).size).toBe(needs.length);
      for (const n of needs) {
        expect(NEED_CODES).toContain(n);
        seen.set(n, (seen.get(n) ?? 0) + 1);
      }
    }
    const top = [...seen]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 2)
      .map(([n]) => n);
    expect(top.sort()).toEqual(['loneliness', 'mental-wellbeing']);
    expect(seen.size).toBe(NEED_CODES.length);
  });

  it('scores ONS4 as four 0-10 answers and SWEMWBS as seven 1-5 items, follow-ups from the baseline', () => {
    const rng = seededRng(3);
    for (let i = 0; i < 200; i++) {
      const ons = wellbeingScores(rng, 'ons4');
      const onsAfter = wellbeingScores(rng, 'ons4', ons);
      const sw = wellbeingScores(rng, 'swemwbs');
      const swAfter = wellbeingScores(rng, 'swemwbs', sw);
      for (const s of [ons, onsAfter]) {
        expect(s).toHaveLength(4);
        for (const v of s) expect(Number.isInteger(v) && v >= 0 && v <= 10).toBe(true);
      }
      for (const s of [sw, swAfter]) {
        expect(s).toHaveLength(7);
        for (const v of s) expect(Number.isInteger(v) && v >= 1 && v <= 5).toBe(true);
      }
      expect(onsAfter[3]).toBeLessThanOrEqual(ons[3]);
    }
  });
});
