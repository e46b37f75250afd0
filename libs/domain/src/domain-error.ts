/**
 * A value that breaks a domain rule. `field` names the input (as the API spells it) so that callers can
 * turn it into a problem+json entry; `message` reads "field: reason".
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}
