import { DomainError } from './domain-error';

/** The needs a referral can name (CONTRACT.md, Codes). Order is the display order. */
export const NEED_CODES = [
  'loneliness',
  'mental-wellbeing',
  'physical-activity',
  'healthy-eating',
  'housing',
  'money',
  'employment',
  'carers',
  'long-term-condition',
  'arts-culture',
  'nature',
  'bereavement',
  'digital-inclusion',
  'family-parenting',
] as const;

export type NeedCode = (typeof NEED_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(NEED_CODES);

export function isNeedCode(input: unknown): input is NeedCode {
  return typeof input === 'string' && KNOWN.has(input);
}

export interface ParseNeedCodesOptions {
  /** A filter may be empty; a referral may not (the default). */
  allowEmpty?: boolean;
  field?: string;
}

/**
 * Validates a list of need codes, trimming and lower-casing each and dropping repeats (first one wins).
 * Throws a DomainError naming every unknown code, so one round trip fixes them all.
 */
export function parseNeedCodes(list: readonly unknown[], options: ParseNeedCodesOptions = {}): NeedCode[] {
  const field = options.field ?? 'needs';
  if (!Array.isArray(list)) throw new DomainError(field, 'must be a list of need codes');
  const seen = new Set<NeedCode>();
  const unknown: string[] = [];
  for (const item of list) {
    const code = typeof item === 'string' ? item.trim().toLowerCase() : item;
    if (isNeedCode(code)) seen.add(code);
    else unknown.push(typeof item === 'string' ? `'${item}'` : String(item));
  }
  if (unknown.length > 0) {
    throw new DomainError(
      field,
      `unknown need code${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (expected any of ${NEED_CODES.join(', ')})`,
    );
  }
  if (seen.size === 0 && !options.allowEmpty) throw new DomainError(field, 'at least one need is required');
  return [...seen];
}
