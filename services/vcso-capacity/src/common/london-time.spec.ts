import { londonDate, londonIsoWeek, londonMidnight, londonMonth, nextLondonWeekStart } from './london-time';

describe('London calendar', () => {
  it('takes the date in London, not UTC (BST puts 23:30 UTC on the next day)', () => {
    expect(londonDate(new Date('2026-06-30T23:30:00Z'))).toBe('2026-07-01');
    expect(londonMonth(new Date('2026-06-30T23:30:00Z'))).toBe('2026-07');
    expect(londonDate(new Date('2026-12-31T23:30:00Z'))).toBe('2026-12-31');
  });

  it('numbers ISO weeks, the week belonging to the year of its Thursday', () => {
    expect(londonIsoWeek(new Date('2026-11-21T12:00:00Z'))).toBe('2026-W47');
    expect(londonIsoWeek(new Date('2027-01-01T12:00:00Z'))).toBe('2026-W53');
    expect(londonIsoWeek(new Date('2024-12-30T12:00:00Z'))).toBe('2025-W01');
  });

  it('turns the week over at Monday midnight London time', () => {
    // Sunday 23:30 UTC in summer is already Monday 00:30 in London.
    expect(londonIsoWeek(new Date('2026-06-14T22:59:59Z'))).toBe('2026-W24');
    expect(londonIsoWeek(new Date('2026-06-14T23:00:00Z'))).toBe('2026-W25');
    // In winter London is on UTC.
    expect(londonIsoWeek(new Date('2026-11-22T23:59:59Z'))).toBe('2026-W47');
    expect(londonIsoWeek(new Date('2026-11-23T00:00:00Z'))).toBe('2026-W48');
  });

  it('finds local midnight across both clock changes', () => {
    expect(londonMidnight('2026-06-15').toISOString()).toBe('2026-06-14T23:00:00.000Z');
    expect(londonMidnight('2026-11-23').toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(londonMidnight('2026-03-29').toISOString()).toBe('2026-03-29T00:00:00.000Z');
    expect(londonMidnight('2026-03-30').toISOString()).toBe('2026-03-29T23:00:00.000Z');
    expect(londonMidnight('2026-10-25').toISOString()).toBe('2026-10-24T23:00:00.000Z');
    expect(londonMidnight('2026-10-26').toISOString()).toBe('2026-10-26T00:00:00.000Z');
  });

  it('finds the start of the next week', () => {
    expect(nextLondonWeekStart(new Date('2026-11-21T12:00:00Z')).toISOString()).toBe(
      '2026-11-23T00:00:00.000Z',
    );
    expect(nextLondonWeekStart(new Date('2026-11-23T00:00:00Z')).toISOString()).toBe(
      '2026-11-30T00:00:00.000Z',
    );
    expect(nextLondonWeekStart(new Date('2026-03-25T12:00:00Z')).toISOString()).toBe(
      '2026-03-29T23:00:00.000Z',
    );
  });
});
