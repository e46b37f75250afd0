import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** IVs drawn from the CSPRNG at a time: one call for 256 values instead of one each (4.5 µs a call). */
const IV_POOL = 256;

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
  private ivs = Buffer.alloc(0);
  private ivAt = 0;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('FieldCipher needs a 32-byte key (AES-256)');
  }

  /**
   * A fresh random IV. Consecutive slices of one CSPRNG draw are as random as separate draws, and no
   * slice is handed out twice (a used pool is dropped, never refilled in place), so IVs stay unique.
   */
  private nextIv(): Buffer {
    if (this.ivAt === this.ivs.length) {
      this.ivs = randomBytes(IV_BYTES * IV_POOL);
      this.ivAt = 0;
    }
    return this.ivs.subarray(this.ivAt, (this.ivAt += IV_BYTES));
  }

  encrypt(plaintext: string, context: string): string {
    const iv = this.nextIv();
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
