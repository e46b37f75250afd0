import { DomainError } from './domain-error';

// The six outward shapes (A9, A99, A9A, AA9, AA99, AA9A) and the inward 9AA. A shape check only: it
// does not know which codes exist, which the geography table decides.
const OUTWARD = /^[A-Z]{1,2}\d[A-Z\d]?$/;
const INWARD = /^\d[A-Z]{2}$/;

// Whitespace is allowed only between the two halves, where people put it (or forget it).
const FULL = /^([A-Z\d]{2,4})\s*([A-Z\d]{3})$/;

function compact(input: unknown): string {
  return typeof input === 'string' ? input.trim().toUpperCase() : '';
}

function split(input: unknown): { outward: string; inward: string } | null {
  const m = FULL.exec(compact(input));
  if (!m) return null;
  const [, outward, inward] = m;
  return OUTWARD.test(outward) && INWARD.test(inward) ? { outward, inward } : null;
}

function isOutward(code: string): boolean {
  return OUTWARD.test(code);
}

/** A UK postcode in canonical form ('SW1A 1AA'). Full postcodes are personal data: never log or publish. */
export class Postcode {
  private constructor(
    readonly outward: string,
    readonly inward: string,
  ) {}

  /** Accepts lower case and a missing or doubled space; throws DomainError otherwise. */
  static parse(input: string, field = 'postcode'): Postcode {
    const parts = split(input);
    if (!parts) throw new DomainError(field, 'is not a UK postcode (e.g. SW1A 1AA)');
    return new Postcode(parts.outward, parts.inward);
  }

  static isValid(input: unknown): boolean {
    return split(input) !== null;
  }

  /** An outward code alone ('sw1a' -> 'SW1A'), as in district-level geography files. */
  static parseDistrict(input: string, field = 'postcode'): string {
    const code = compact(input);
    if (!isOutward(code)) throw new DomainError(field, 'is not a UK postcode district (e.g. SW1A)');
    return code;
  }

  static isValidDistrict(input: unknown): boolean {
    return isOutward(compact(input));
  }

  /** The district of either a full postcode or a bare outward code; useful for mixed geography files. */
  static districtOf(input: string, field = 'postcode'): string {
    const parts = split(input);
    return parts ? parts.outward : Postcode.parseDistrict(input, field);
  }

  /** The outward code: coarse enough to share on the analytics stream. */
  get district(): string {
    return this.outward;
  }

  /** 'SW1A 1': outward code plus the inward digit. */
  get sector(): string {
    return `${this.outward} ${this.inward[0]}`;
  }

  get value(): string {
    return `${this.outward} ${this.inward}`;
  }

  equals(other: Postcode): boolean {
    return other.value === this.value;
  }

  toString(): string {
    return this.value;
  }

  toJSON(): string {
    return this.value;
  }
}
