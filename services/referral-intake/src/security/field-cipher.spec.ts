import { randomBytes } from 'node:crypto';
import { CipherError, FieldCipher } from './field-cipher';
import { canonicalJson, IntakeCrypto } from './intake-crypto';
import { IntakeSecretsError, loadIntakeSecrets } from './intake-secrets';

describe('FieldCipher', () => {
  const cipher = new FieldCipher(randomBytes(32));

  it('round-trips values, including non-ASCII and empty strings', () => {
    for (const value of ['9990000018', 'Zoë Ní Bhriain', '', 'line one\nline two']) {
      expect(cipher.decrypt(cipher.encrypt(value, 'r1:given_name'), 'r1:given_name')).toBe(value);
    }
  });

  it('never stores the plain text and never repeats a ciphertext', () => {
    const a = cipher.encrypt('Jane Example', 'ctx');
    const b = cipher.encrypt('Jane Example', 'ctx');
    expect(a).not.toContain('Jane');
    expect(Buffer.from(a.split('.')[3], 'base64').toString('utf8')).not.toContain('Jane');
    expect(a).not.toBe(b);
  });

  it('gives every value its own IV, across refills of the IV pool', () => {
    const fresh = new FieldCipher(randomBytes(32));
    const ivs = new Set<string>();
    // 256 IVs a draw: 1,000 values take four draws.
    for (let i = 0; i < 1000; i++) {
      const stored = fresh.encrypt('same value', 'ctx');
      expect(Buffer.from(stored.split('.')[1], 'base64')).toHaveLength(12);
      ivs.add(stored.split('.')[1]);
      expect(fresh.decrypt(stored, 'ctx')).toBe('same value');
    }
    expect(ivs.size).toBe(1000);
  });

  it('refuses a value moved to another row or column', () => {
    const stored = cipher.encrypt('07700900123', 'referral-a:phone');
    expect(() => cipher.decrypt(stored, 'referral-b:phone')).toThrow(CipherError);
    expect(() => cipher.decrypt(stored, 'referral-a:email')).toThrow(CipherError);
  });

  it('refuses a tampered value or another key', () => {
    const stored = cipher.encrypt('secret', 'ctx');
    const parts = stored.split('.');
    const ct = Buffer.from(parts[3], 'base64');
    ct[0] ^= 1;
    expect(() => cipher.decrypt([...parts.slice(0, 3), ct.toString('base64')].join('.'), 'ctx')).toThrow(
      CipherError,
    );
    expect(() => new FieldCipher(randomBytes(32)).decrypt(stored, 'ctx')).toThrow(CipherError);
    expect(() => cipher.decrypt('plain text', 'ctx')).toThrow(CipherError);
  });

  it('needs a 32-byte key', () => {
    expect(() => new FieldCipher(randomBytes(16))).toThrow(/32-byte/);
  });

  it('maps absent optional values to null and back', () => {
    expect(cipher.encryptOptional(undefined, 'c')).toBeNull();
    expect(cipher.decryptOptional(null, 'c')).toBeUndefined();
    expect(cipher.decryptOptional(cipher.encryptOptional('x', 'c'), 'c')).toBe('x');
  });
});

describe('loadIntakeSecrets', () => {
  const key = randomBytes(32).toString('base64');
  const secret = 'a'.repeat(40);

  it('reads a base64 32-byte key and a person-key secret', () => {
    const s = loadIntakeSecrets({ INTAKE_ENCRYPTION_KEY: key, PERSON_KEY_SECRET: secret });
    expect(s.encryptionKey.toString('base64')).toBe(key);
    expect(s.personKeySecret.toString('utf8')).toBe(secret);
    expect(s.defaulted).toEqual([]);
  });

  it('falls back to a deterministic dev default outside production, and says so', () => {
    const a = loadIntakeSecrets({});
    const b = loadIntakeSecrets({ NODE_ENV: 'development' });
    expect(a.defaulted).toEqual(['INTAKE_ENCRYPTION_KEY', 'PERSON_KEY_SECRET']);
    expect(a.encryptionKey.equals(b.encryptionKey)).toBe(true);
    expect(a.encryptionKey).toHaveLength(32);
  });

  it('refuses to run in production without both secrets', () => {
    expect(() => loadIntakeSecrets({ NODE_ENV: 'production', PERSON_KEY_SECRET: secret })).toThrow(
      /INTAKE_ENCRYPTION_KEY is required/,
    );
    expect(() => loadIntakeSecrets({ NODE_ENV: 'production', INTAKE_ENCRYPTION_KEY: key })).toThrow(
      /PERSON_KEY_SECRET is required/,
    );
  });

  it('refuses malformed keys without quoting them', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => loadIntakeSecrets({ INTAKE_ENCRYPTION_KEY: short })).toThrow(IntakeSecretsError);
    expect(() => loadIntakeSecrets({ INTAKE_ENCRYPTION_KEY: short })).not.toThrow(short);
    expect(() => loadIntakeSecrets({ INTAKE_ENCRYPTION_KEY: 'not base64!' })).toThrow(/base64/);
    expect(() => loadIntakeSecrets({ PERSON_KEY_SECRET: 'short' })).toThrow(/at least 32/);
  });
});

describe('IntakeCrypto', () => {
  const crypto = new IntakeCrypto(loadIntakeSecrets({}));

  it('gives one person key per NHS number whatever the formatting, as 64 hex digits', () => {
    const k = crypto.personKey('9990000018');
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(crypto.personKey('999 000 0018')).toBe(k);
    expect(crypto.personKey('9990000026')).not.toBe(k);
  });

  it('fingerprints bodies independently of key order', () => {
    expect(crypto.fingerprint({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(
      crypto.fingerprint({ b: { d: 'x', c: [1, 2] }, a: 1 }),
    );
    expect(crypto.fingerprint({ a: 1 })).not.toBe(crypto.fingerprint({ a: 2 }));
    expect(canonicalJson({ b: 1, a: undefined, c: null })).toBe('{"b":1,"c":null}');
  });
});
