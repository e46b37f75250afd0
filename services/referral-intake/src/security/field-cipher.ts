import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A stored value that does not decrypt: tampered, swapped between rows or columns, or another key. */
export class CipherError extends Error {
  override name = 'CipherError';
}

/**
 * AES-256-GCM per value. Each value gets a fresh random IV, and its context (referral id and column)
 * is bound as associated data, so a ciphertext copied into another row or column fails to decrypt
 * instead of silently showing one person's details on another's record.
 * Stored form: `v1.<iv>.<tag>.<ciphertext>`, each part base64.
 */
export class FieldCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('FieldCipher needs a 32-byte key (AES-256)');
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      iv.toString('base64'),
      cipher.getAuthTag().toString('base64'),
      ct.toString('base64'),
    ].join('.');
  }

  decrypt(stored: string, context: string): string {
    const parts = stored.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION)
      throw new CipherError('not an encrypted value of a known version');
    const [, iv, tag, ct] = parts.map((p) => Buffer.from(p, 'base64'));
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
      throw new CipherError('malformed encrypted value');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
    } catch {
      throw new CipherError('value does not decrypt under this key and context');
    }
  }

  encryptOptional(plaintext: string | null | undefined, context: string): string | null {
    return plaintext === undefined || plaintext === null ? null : this.encrypt(plaintext, context);
  }

  decryptOptional(stored: string | null | undefined, context: string): string | undefined {
    return stored === undefined || stored === null ? undefined : this.decrypt(stored, context);
  }
}
