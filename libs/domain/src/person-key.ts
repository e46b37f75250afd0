import { createHmac } from 'node:crypto';
import { DomainError } from './domain-error';
import { NhsNumber } from './nhs-number';

/**
 * A stable pseudonym for a person: HMAC-SHA256 of the normalised NHS number under a secret key, as hex.
 * Keyed because a plain hash of an NHS number is reversed by trying all ~10^9 of them. Formatting does
 * not matter ('943 476 5919' and '9434765919' give the same key); an invalid number throws.
 */
export function personKey(nhsNumber: string | NhsNumber, key: string | Buffer): string {
  const secretLength = typeof key === 'string' ? key.length : key?.length;
  if (!secretLength) throw new DomainError('key', 'a non-empty pseudonymisation key is required');
  const value = nhsNumber instanceof NhsNumber ? nhsNumber.value : NhsNumber.parse(nhsNumber).value;
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}
