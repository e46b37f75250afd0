import { DomainError } from './domain-error';
import { NhsNumber } from './nhs-number';

describe('NhsNumber', () => {
  it.each(['9434765919', '943 476 5919', '943-476-5919', ' 9434765919 ', '4010232137'])(
    'accepts %p',
    (input) => {
      expect(NhsNumber.isValid(input)).toBe(true);
      expect(NhsNumber.parse(input).value).toMatch(/^\d{10}$/);
    },
  );

  it('strips separators and formats as 3-3-4', () => {
    const n = NhsNumber.parse('943-476-5919');
    expect(n.value).toBe('9434765919');
    expect(n.toString()).toBe('9434765919');
    expect(`${n}`).toBe('9434765919');
    expect(JSON.stringify({ n })).toBe('{"n":"9434765919"}');
    expect(n.formatted()).toBe('943 476 5919');
  });

  it('rejects a wrong check digit, naming the field and the problem', () => {
    expect(NhsNumber.isValid('9434765918')).toBe(false);
    expect(() => NhsNumber.parse('9434765918')).toThrow(
      expect.objectContaining({ field: 'nhsNumber', message: 'nhsNumber: check digit does not match' }),
    );
    expect(() => NhsNumber.parse('9434765918')).toThrow(DomainError);
  });

  it('treats a computed check digit of 11 as 0', () => {
    // Weighted sum 0 -> 11 - 0 = 11 -> 0.
    expect(NhsNumber.isValid('0000000000')).toBe(true);
    expect(NhsNumber.isValid('0000000001')).toBe(false);
  });

  it('rejects numbers whose check digit would be 10', () => {
    // 100000001: 1*10 + 1*2 = 12, 12 % 11 = 1, 11 - 1 = 10: no digit can follow.
    for (let d = 0; d <= 9; d++) expect(NhsNumber.isValid(`100000001${d}`)).toBe(false);
    expect(() => NhsNumber.parse('1000000010')).toThrow(/check digit would be 10/);
  });

  it.each([
    ['', 'empty'],
    ['943476591', 'nine digits'],
    ['94347659190', 'eleven digits'],
    ['94347659l9', 'a letter'],
    ['9434 765919', 'wrong grouping'],
    ['943  476 5919', 'double space'],
    ['943.476.5919', 'dots'],
  ])('rejects %p (%s)', (input) => {
    expect(NhsNumber.isValid(input)).toBe(false);
    expect(() => NhsNumber.parse(input)).toThrow(/^nhsNumber: must be 10 digits/);
  });

  it('is not fooled by non-strings', () => {
    expect(NhsNumber.isValid(9434765919)).toBe(false);
    expect(NhsNumber.isValid(null)).toBe(false);
    expect(() => NhsNumber.parse(9434765919 as unknown as string)).toThrow(DomainError);
  });

  it('lets callers name the field', () => {
    expect(() => NhsNumber.parse('1', 'patient.nhsNumber')).toThrow(/^patient\.nhsNumber: /);
  });

  it('generates valid numbers in the never-issued 999 range', () => {
    for (let i = 0; i < 500; i++) {
      const n = NhsNumber.generateTestNumber();
      expect(n.value).toMatch(/^999\d{7}$/);
      expect(NhsNumber.isValid(n.value)).toBe(true);
    }
  });

  it('generates repeatably from a seeded rng', () => {
    const seq = (values: number[]) => {
      let i = 0;
      return () => values[i++ % values.length];
    };
    const a = NhsNumber.generateTestNumber(seq([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]));
    const b = NhsNumber.generateTestNumber(seq([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]));
    expect(a.equals(b)).toBe(true);
    expect(a.value).toMatch(/^99912345\d{2}$/);
  });

  it('terminates even when the rng keeps giving an unissuable prefix', () => {
    // 999 123 456: 243 + 77 = 320, 320 % 11 = 1 -> check digit would be 10.
    expect(NhsNumber.isValid('9991234560')).toBe(false);
    const digits = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    let i = 0;
    const n = NhsNumber.generateTestNumber(() => digits[i++ % digits.length]);
    expect(n.value).toMatch(/^99912345/);
    expect(NhsNumber.isValid(n.value)).toBe(true);
    expect(NhsNumber.generateTestNumber(() => 0.9999999).value).toMatch(/^999\d{7}$/);
  });
});
