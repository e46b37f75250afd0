import { Logger } from '@nestjs/common';
import { personKey } from '@sp/domain';
import { createHmac } from 'node:crypto';
import { FieldCipher } from './field-cipher';
import { IntakeSecrets, loadIntakeSecrets } from './intake-secrets';

/** The service's cryptography: field encryption, person keys and request fingerprints. */
export class IntakeCrypto {
  readonly cipher: FieldCipher;

  constructor(private readonly secrets: IntakeSecrets) {
    this.cipher = new FieldCipher(secrets.encryptionKey);
  }

  /** Keyed HMAC of the NHS number: links a person's referrals without revealing the number. */
  personKey(nhsNumber: string): string {
    return personKey(nhsNumber, this.secrets.personKeySecret);
  }

  /** Keyed fingerprint of a request body, so the idempotency table holds nothing reversible. */
  fingerprint(value: unknown): string {
    return createHmac('sha256', this.secrets.personKeySecret).update(canonicalJson(value)).digest('hex');
  }
}

/** JSON with object keys sorted, so that key order does not change a fingerprint. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Builds the service's IntakeCrypto from the environment, warning loudly about development keys. */
export function intakeCryptoFromEnv(env: NodeJS.ProcessEnv = process.env): IntakeCrypto {
  const secrets = loadIntakeSecrets(env);
  if (secrets.defaulted.length > 0) {
    new Logger('referral-intake').warn(
      `!!! ${secrets.defaulted.join(' and ')} not set: using the INSECURE built-in development default. ` +
        'Identifiable data is encrypted under a publicly known key. Set them before holding real data. !!!',
    );
  }
  return new IntakeCrypto(secrets);
}
