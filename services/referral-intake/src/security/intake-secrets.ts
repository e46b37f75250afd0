import { createHash } from 'node:crypto';

/** The two secrets intake holds: the at-rest encryption key and the person-key HMAC secret. */
export interface IntakeSecrets {
  encryptionKey: Buffer;
  personKeySecret: Buffer;
  /** Variables that fell back to the insecure development default (for a loud start-up warning). */
  defaulted: string[];
}

export class IntakeSecretsError extends Error {
  override name = 'IntakeSecretsError';
}

// Deterministic so that a developer's data survives restarts; never acceptable in production.
function devDefault(label: string): Buffer {
  return createHash('sha256').update(`sp-dev-only:${label}`).digest();
}

/**
 * Reads INTAKE_ENCRYPTION_KEY (base64 of exactly 32 bytes) and PERSON_KEY_SECRET (at least 32
 * characters). Unset in development: a fixed dev default, listed in `defaulted`. Unset or malformed
 * in production (NODE_ENV=production): refuses, so no identifiable data is ever written under a
 * publicly known key. Messages name the variable, never its value.
 */
export function loadIntakeSecrets(env: NodeJS.ProcessEnv = process.env): IntakeSecrets {
  const production = env.NODE_ENV === 'production';
  const defaulted: string[] = [];

  let encryptionKey: Buffer;
  const rawKey = env.INTAKE_ENCRYPTION_KEY?.trim();
  if (rawKey) {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(rawKey)) {
      throw new IntakeSecretsError('INTAKE_ENCRYPTION_KEY must be base64');
    }
    encryptionKey = Buffer.from(rawKey, 'base64');
    if (encryptionKey.length !== 32) {
      throw new IntakeSecretsError(
        `INTAKE_ENCRYPTION_KEY must decode to 32 bytes (got ${encryptionKey.length})`,
      );
    }
  } else if (production) {
    throw new IntakeSecretsError('INTAKE_ENCRYPTION_KEY is required when NODE_ENV=production');
  } else {
    encryptionKey = devDefault('intake-encryption-key');
    defaulted.push('INTAKE_ENCRYPTION_KEY');
  }

  let personKeySecret: Buffer;
  const rawSecret = env.PERSON_KEY_SECRET;
  if (rawSecret) {
    if (rawSecret.length < 32)
      throw new IntakeSecretsError('PERSON_KEY_SECRET must be at least 32 characters');
    personKeySecret = Buffer.from(rawSecret, 'utf8');
  } else if (production) {
    throw new IntakeSecretsError('PERSON_KEY_SECRET is required when NODE_ENV=production');
  } else {
    personKeySecret = devDefault('person-key-secret');
    defaulted.push('PERSON_KEY_SECRET');
  }
  return { encryptionKey, personKeySecret, defaulted };
}
