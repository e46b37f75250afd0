import {
  AGE_BANDS,
  ageBandFor,
  ageBandForAge,
  ageInYears,
  isAgeBand,
  isBelievableBirthDate,
} from './age-band';

const on = new Date('2025-06-15T12:00:00Z');

describe('ageInYears', () => {
  it('counts whole years completed', () => {
    expect(ageInYears('2000-06-15', on)).toBe(25);
    expect(ageInYears('2000-06-16', on)).toBe(24);
    expect(ageInYears('2000-06-14', on)).toBe(25);
    expect(ageInYears(new Date('2000-06-15T00:00:00Z'), on)).toBe(25);
  });

  it('makes leap-day birthdays turn on 1 March in other years', () => {
    expect(ageInYears('2004-02-29', new Date('2025-02-28T00:00:00Z'))).toBe(20);
    expect(ageInYears('2004-02-29', new Date('2025-03-01T00:00:00Z'))).toBe(21);
    expect(ageInYears('2004-02-29', new Date('2024-02-29T00:00:00Z'))).toBe(20);
  });

  it('rejects impossible dates and non-dates', () => {
    expect(() => ageInYears('2023-02-29', on)).toThrow('birthDate: 2023-02-29 is not a real calendar date');
    expect(() => ageInYears('15/06/2000', on)).toThrow(/^birthDate: must be a date/);
    expect(() => ageInYears(new Date('nope'), on)).toThrow(/^birthDate: is not a valid date/);
  });

  it('reads the date part of a timestamp', () => {
    expect(ageInYears('2000-06-15T23:30:00-05:00', on)).toBe(25);
  });
});

describe('ageBandFor', () => {
  it.each([
    ['2025-06-15', '0-17'],
    ['2007-06-16', '0-17'],
    ['2007-06-15', '18-24'],
    ['2000-06-16', '18-24'],
    ['2000-06-15', '25-34'],
    ['1990-06-15', '35-44'],
    ['1980-06-15', '45-54'],
    ['1970-06-15', '55-64'],
    ['1960-06-15', '65-74'],
    ['1950-06-15', '75-84'],
    ['1940-06-16', '75-84'],
    ['1940-06-15', '85+'],
    ['1905-06-15', '85+'],
  ])('born %s -> %s', (birthDate, band) => {
    expect(ageBandFor(birthDate, on)).toBe(band);
  });

  it('rejects future and unbelievably old birth dates', () => {
    expect(() => ageBandFor('2025-06-16', on)).toThrow('birthDate: is in the future');
    expect(() => ageBandFor('1904-06-14', on)).toThrow('birthDate: is more than 120 years ago');
    expect(isBelievableBirthDate('2025-06-16', on)).toBe(false);
    expect(isBelievableBirthDate('1904-06-14', on)).toBe(false);
    expect(isBelievableBirthDate('1905-06-15', on)).toBe(true);
    expect(isBelievableBirthDate('2025-06-15', on)).toBe(true);
    expect(isBelievableBirthDate('garbage', on)).toBe(false);
  });

  it('defaults to today', () => {
    expect(ageBandFor('1990-01-01')).toMatch(/^(35-44|45-54)$/);
  });

  it('bands ages and knows its bands', () => {
    expect(ageBandForAge(17)).toBe('0-17');
    expect(ageBandForAge(18)).toBe('18-24');
    expect(ageBandForAge(84)).toBe('75-84');
    expect(ageBandForAge(119)).toBe('85+');
    expect(() => ageBandForAge(-1)).toThrow();
    expect(AGE_BANDS).toHaveLength(9);
    expect(isAgeBand('85+')).toBe(true);
    expect(isAgeBand('85-94')).toBe(false);
  });
});
