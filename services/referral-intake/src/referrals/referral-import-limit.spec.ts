import { Readable } from 'node:stream';
import {
  DEFAULT_IMPORT_MAX_BYTES,
  importMaxBytes,
  ImportTooLargeError,
  limitBytes,
} from './referral-import-limit';

describe('import size limit', () => {
  it('is 100 MB unless IMPORT_MAX_BYTES says otherwise', () => {
    expect(importMaxBytes({})).toBe(DEFAULT_IMPORT_MAX_BYTES);
    expect(DEFAULT_IMPORT_MAX_BYTES).toBe(100 * 1024 * 1024);
    expect(importMaxBytes({ IMPORT_MAX_BYTES: '4096' })).toBe(4096);
    for (const bad of ['0', '-5', '1.5', 'big'])
      expect(() => importMaxBytes({ IMPORT_MAX_BYTES: bad })).toThrow(/IMPORT_MAX_BYTES/);
  });

  it('passes a body up to the limit through unchanged', async () => {
    const chunks: Buffer[] = [];
    for await (const c of limitBytes(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 4))
      chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('abcd');
  });

  it('fails once the body runs past the limit, never passing on more than the limit', async () => {
    const chunks: Buffer[] = [];
    const read = async () => {
      for await (const c of limitBytes(Readable.from([Buffer.from('abc'), Buffer.from('def')]), 4))
        chunks.push(c as Buffer);
    };
    await expect(read()).rejects.toBeInstanceOf(ImportTooLargeError);
    expect(Buffer.concat(chunks).length).toBeLessThanOrEqual(4);
  });
});
