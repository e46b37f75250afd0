import { isNeedCode, NEED_CODES, parseNeedCodes } from './need-code';

describe('NeedCode', () => {
  it('lists the 14 contract codes', () => {
    expect(NEED_CODES).toHaveLength(14);
    expect(new Set(NEED_CODES).size).toBe(14);
    expect(NEED_CODES).toContain('long-term-condition');
    expect(NEED_CODES).toContain('family-parenting');
  });

  it('recognises codes exactly', () => {
    expect(isNeedCode('money')).toBe(true);
    expect(isNeedCode('Money')).toBe(false);
    expect(isNeedCode('debt')).toBe(false);
    expect(isNeedCode(1)).toBe(false);
  });

  it('dedupes in first-seen order, tolerating case and spaces', () => {
    expect(parseNeedCodes(['housing', 'money', ' Housing ', 'money'])).toEqual(['housing', 'money']);
  });

  it('names every unknown code', () => {
    expect(() => parseNeedCodes(['housing', 'debt', 'gardening'])).toThrow(
      expect.objectContaining({
        field: 'needs',
        message: expect.stringMatching(/^needs: unknown need codes 'debt', 'gardening'/),
      }),
    );
    expect(() => parseNeedCodes([3])).toThrow(/unknown need code 3/);
  });

  it('requires at least one need unless told otherwise', () => {
    expect(() => parseNeedCodes([])).toThrow('needs: at least one need is required');
    expect(parseNeedCodes([], { allowEmpty: true })).toEqual([]);
  });

  it('rejects a non-list', () => {
    expect(() => parseNeedCodes('housing' as unknown as string[], { field: 'need' })).toThrow(
      /^need: must be a list/,
    );
  });
});
