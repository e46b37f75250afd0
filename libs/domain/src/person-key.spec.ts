import { createHmac } from 'node:crypto';
import { NhsNumber } from './nhs-number';
import { personKey } from './person-key';

describe('personKey', () => {
  it('is the HMAC-SHA256 hex of the normalised number', () => {
    const expected = createHmac('sha256', 'secret').update('9434765919').digest('hex');
    expect(personKey('9434765919', 'secret')).toBe(expected);
    expect(personKey('943 476 5919', 'secret')).toBe(expected);
    expect(personKey(NhsNumber.parse('943-476-5919'), Buffer.from('secret'))).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('depends on the key', () => {
    expect(personKey('9434765919', 'a')).not.toBe(personKey('9434765919', 'b'));
  });

  it('refuses invalid numbers and empty keys', () => {
    expect(() => personKey('9434765918', 'secret')).toThrow('nhsNumber: check digit does not match');
    expect(() => personKey('9434765919', '')).toThrow(/^key: /);
    expect(() => personKey('9434765919', Buffer.alloc(0))).toThrow(/^key: /);
  });
});
