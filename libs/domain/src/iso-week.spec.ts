import { isoWeekLondon, isoWeekOf } from './iso-week';

describe('ISO weeks in Europe/London', () => {
  it.each([
    [2026, 1, 1, '2026-W01'], // Thursday
    [2027, 1, 1, '2026-W53'], // Friday: still 2026's last week
    [2024, 12, 30, '2025-W01'], // Monday of the week holding 2 January 2025
    [2026, 11, 21, '2026-W47'],
    [2026, 11, 23, '2026-W48'],
  ])('%i-%i-%i is %s', (y, m, d, week) => expect(isoWeekOf(y, m, d)).toBe(week));

  it('turns the week at midnight London time, not UTC', () => {
    // Sunday 29 March 2026 23:30 UTC is already Monday 00:30 in London (BST).
    expect(isoWeekLondon(new Date('2026-03-29T22:59:00Z'))).toBe('2026-W13');
    expect(isoWeekLondon(new Date('2026-03-29T23:30:00Z'))).toBe('2026-W14');
    // In winter London is on UTC.
    expect(isoWeekLondon(new Date('2026-11-22T23:59:00Z'))).toBe('2026-W47');
    expect(isoWeekLondon(new Date('2026-11-23T00:00:00Z'))).toBe('2026-W48');
  });
});
