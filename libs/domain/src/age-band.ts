import { DomainError } from './domain-error';

/** Age bands used on the analytics stream and in commissioning figures instead of dates of birth. */
export const AGE_BANDS = [
  '0-17',
  '18-24',
  '25-34',
  '35-44',
  '45-54',
  '55-64',
  '65-74',
  '75-84',
  '85+',
] as const;

export type AgeBand = (typeof AGE_BANDS)[number];

/** Oldest age we accept; anything older is a keying error (e.g. 1900-01-01 placeholders). */
export const MAX_BELIEVABLE_AGE = 120;

const LOWER_BOUNDS: ReadonlyArray<readonly [number, AgeBand]> = [
  [85, '85+'],
  [75, '75-84'],
  [65, '65-74'],
  [55, '55-64'],
  [45, '45-54'],
  [35, '35-44'],
  [25, '25-34'],
  [18, '18-24'],
  [0, '0-17'],
];

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?$/;

interface CalendarDate {
  y: number;
  m: number;
  d: number;
}

/**
 * Birth dates are calendar dates: 'YYYY-MM-DD' is read as that day wherever the server runs, and a
 * Date is read by its UTC day, so an age never shifts by a time zone.
 */
function toCalendarDate(input: Date | string, field: string): CalendarDate {
  if (input instanceof Date) {
    if (Number.isNaN(input.getTime())) throw new DomainError(field, 'is not a valid date');
    return { y: input.getUTCFullYear(), m: input.getUTCMonth() + 1, d: input.getUTCDate() };
  }
  if (typeof input !== 'string') throw new DomainError(field, 'must be a date (YYYY-MM-DD)');
  const s = input.trim();
  const m = DATE_ONLY.exec(s) ?? DATE_TIME.exec(s);
  if (!m) throw new DomainError(field, 'must be a date (YYYY-MM-DD)');
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) {
    throw new DomainError(field, `${s.slice(0, 10)} is not a real calendar date`);
  }
  return { y, m: mo, d };
}

function compare(a: CalendarDate, b: CalendarDate): number {
  return a.y - b.y || a.m - b.m || a.d - b.d;
}

/** Whole years completed on `on`; someone born on 29 February turns a year older on 1 March in other years. */
export function ageInYears(birthDate: Date | string, on: Date = new Date()): number {
  const born = toCalendarDate(birthDate, 'birthDate');
  const today = toCalendarDate(on, 'on');
  let age = today.y - born.y;
  if (today.m < born.m || (today.m === born.m && today.d < born.d)) age -= 1;
  return age;
}

/** Not in the future and not more than 120 years ago. Malformed input is not believable either. */
export function isBelievableBirthDate(birthDate: Date | string, on: Date = new Date()): boolean {
  try {
    assertBelievableBirthDate(birthDate, on);
    return true;
  } catch {
    return false;
  }
}

/** Throws DomainError('birthDate', ...) naming what is wrong with the date. */
export function assertBelievableBirthDate(
  birthDate: Date | string,
  on: Date = new Date(),
  field = 'birthDate',
): void {
  const born = toCalendarDate(birthDate, field);
  const today = toCalendarDate(on, 'on');
  if (compare(born, today) > 0) throw new DomainError(field, 'is in the future');
  if (ageInYears(birthDate, on) > MAX_BELIEVABLE_AGE) {
    throw new DomainError(field, `is more than ${MAX_BELIEVABLE_AGE} years ago`);
  }
}

export function ageBandForAge(age: number): AgeBand {
  if (!Number.isInteger(age) || age < 0)
    throw new DomainError('age', 'must be a whole number of years, 0 or more');
  for (const [lower, band] of LOWER_BOUNDS) if (age >= lower) return band;
  return '0-17';
}

/** The band for a believable birth date; throws DomainError('birthDate', ...) otherwise. */
export function ageBandFor(birthDate: Date | string, on: Date = new Date()): AgeBand {
  assertBelievableBirthDate(birthDate, on);
  return ageBandForAge(ageInYears(birthDate, on));
}

export function isAgeBand(input: unknown): input is AgeBand {
  return typeof input === 'string' && (AGE_BANDS as readonly string[]).includes(input);
}
