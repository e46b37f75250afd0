import { DomainError } from './domain-error';

// ODS gives PCNs the `U` prefix, so a `U` code in a practice field is almost always a swapped field.
const PRACTICE = /^[A-TV-Z]\d{5}$/;
const PCN = /^U\d{5}$/;

export type OdsCodeKind = 'practice' | 'pcn';

function normalise(input: unknown): string {
  return typeof input === 'string' ? input.trim().toUpperCase() : '';
}

/** GP practice code: a letter other than U plus five digits (P88001). */
export function isPracticeCode(input: unknown): boolean {
  return PRACTICE.test(normalise(input));
}

/** Primary Care Network code: `U` plus five digits (U00001). */
export function isPcnCode(input: unknown): boolean {
  return PCN.test(normalise(input));
}

/** An NHS Organisation Data Service code for a practice or a PCN, upper-cased. */
export class OdsCode {
  private constructor(
    readonly value: string,
    readonly kind: OdsCodeKind,
  ) {}

  static practice(input: string, field = 'practiceCode'): OdsCode {
    const code = normalise(input);
    if (PRACTICE.test(code)) return new OdsCode(code, 'practice');
    if (PCN.test(code)) throw new DomainError(field, `${code} is a PCN code, not a practice code`);
    throw new DomainError(field, 'must be a practice ODS code: a letter and five digits, e.g. P88001');
  }

  static pcn(input: string, field = 'pcnCode'): OdsCode {
    const code = normalise(input);
    if (PCN.test(code)) return new OdsCode(code, 'pcn');
    throw new DomainError(field, 'must be a PCN ODS code: U and five digits, e.g. U00001');
  }

  static isPracticeCode = isPracticeCode;
  static isPcnCode = isPcnCode;

  equals(other: OdsCode): boolean {
    return other.value === this.value;
  }

  toString(): string {
    return this.value;
  }

  toJSON(): string {
    return this.value;
  }
}
