import { isPcnCode, isPracticeCode, OdsCode } from './ods-code';

describe('OdsCode', () => {
  it('parses practice codes and upper-cases them', () => {
    const code = OdsCode.practice(' p88001 ');
    expect(code.value).toBe('P88001');
    expect(code.kind).toBe('practice');
    expect(String(code)).toBe('P88001');
  });

  it('parses PCN codes', () => {
    const code = OdsCode.pcn('u00001');
    expect(code.value).toBe('U00001');
    expect(code.kind).toBe('pcn');
    expect(code.equals(OdsCode.pcn('U00001'))).toBe(true);
  });

  it.each(['P8800', 'P880011', '888001', 'PP8801', '', 'P88 001'])('rejects practice %p', (input) => {
    expect(isPracticeCode(input)).toBe(false);
    expect(() => OdsCode.practice(input)).toThrow(/^practiceCode: must be a practice ODS code/);
  });

  it('tells a PCN code in a practice field apart from garbage', () => {
    expect(isPracticeCode('U00001')).toBe(false);
    expect(() => OdsCode.practice('U00001')).toThrow(
      'practiceCode: U00001 is a PCN code, not a practice code',
    );
  });

  it.each(['P88001', 'U0001', 'U000011', 'V00001', 'u0000a'])('rejects PCN %p', (input) => {
    expect(isPcnCode(input)).toBe(false);
    expect(() => OdsCode.pcn(input, 'pcn')).toThrow(/^pcn: must be a PCN ODS code/);
  });

  it('exposes the predicates on the class as well', () => {
    expect(OdsCode.isPracticeCode('A81001')).toBe(true);
    expect(OdsCode.isPcnCode('U12345')).toBe(true);
    expect(OdsCode.isPcnCode(12345)).toBe(false);
  });
});
