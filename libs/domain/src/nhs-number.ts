import { DomainError } from './domain-error';

const WEIGHTS = [10, 9, 8, 7, 6, 5, 4, 3, 2] as const;
// Either ten bare digits or the printed 3-3-4 grouping with a single space or hyphen between groups.
const SHAPE = /^(?:\d{10}|\d{3}[ -]\d{3}[ -]\d{4})$/;

/** The check digit for nine leading digits, or null when the modulus-11 rule makes the number unissuable. */
function checkDigitFor(first9: string): number | null {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(first9[i]) * WEIGHTS[i];
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return null;
  return check;
}

function problemWith(input: string): string | null {
  const trimmed = input.trim();
  if (!SHAPE.test(trimmed)) return 'must be 10 digits (spaces or hyphens allowed as 3-3-4)';
  const digits = trimmed.replace(/[ -]/g, '');
  const check = checkDigitFor(digits.slice(0, 9));
  if (check === null) return 'is not a valid NHS number (check digit would be 10)';
  if (check !== Number(digits[9])) return 'check digit does not match';
  return null;
}

/** A 10-digit NHS number whose modulus-11 check digit has been verified. */
export class NhsNumber {
  private constructor(readonly value: string) {}

  /** Accepts `9434765919`, `943 476 5919` or `943-476-5919`; throws DomainError('nhsNumber', ...) otherwise. */
  static parse(input: string, field = 'nhsNumber'): NhsNumber {
    if (typeof input !== 'string') throw new DomainError(field, 'must be a string');
    const problem = problemWith(input);
    if (problem) throw new DomainError(field, problem);
    return new NhsNumber(input.trim().replace(/[ -]/g, ''));
  }

  static isValid(input: unknown): boolean {
    return typeof input === 'string' && problemWith(input) === null;
  }

  /**
   * A valid number in the 999 range, which NHS England never issues, so it is safe in tests and demos.
   * `rng` returns floats in [0, 1) like Math.random; pass a seeded one for repeatable data.
   */
  static generateTestNumber(rng: () => number = Math.random): NhsNumber {
    const digit = () => Math.min(9, Math.floor(rng() * 10));
    let body = '999';
    for (let i = 0; i < 5; i++) body += String(digit());
    const ninth = digit();
    // About one prefix in eleven has no check digit; stepping the ninth digit (weight 2) always finds
    // one within two steps, so even a constant rng cannot spin here.
    for (let step = 0; ; step++) {
      const first9 = body + String((ninth + step) % 10);
      const check = checkDigitFor(first9);
      if (check !== null) return new NhsNumber(first9 + String(check));
    }
  }

  /** The printed form, '999 123 4567'. */
  formatted(): string {
    return `${this.value.slice(0, 3)} ${this.value.slice(3, 6)} ${this.value.slice(6)}`;
  }

  equals(other: NhsNumber): boolean {
    return other.value === this.value;
  }

  toString(): string {
    return this.value;
  }

  toJSON(): string {
    return this.value;
  }
}
