import { Postcode } from './postcode';

describe('Postcode', () => {
  it.each([
    ['M1 1AE', 'M1 1AE', 'M1', 'M1 1'],
    ['b338th', 'B33 8TH', 'B33', 'B33 8'],
    ['CR2 6XH', 'CR2 6XH', 'CR2', 'CR2 6'],
    ['dn551pt', 'DN55 1PT', 'DN55', 'DN55 1'],
    ['W1A 0AX', 'W1A 0AX', 'W1A', 'W1A 0'],
    ['  sw1a   1aa ', 'SW1A 1AA', 'SW1A', 'SW1A 1'],
  ])('normalises %p to %p', (input, value, district, sector) => {
    expect(Postcode.isValid(input)).toBe(true);
    const pc = Postcode.parse(input);
    expect(pc.value).toBe(value);
    expect(pc.toString()).toBe(value);
    expect(pc.outward).toBe(district);
    expect(pc.district).toBe(district);
    expect(pc.sector).toBe(sector);
  });

  it.each(['', 'SW1A', 'SW1A 1A', '1W1A 1AA', 'SW1A 11A', 'SWW1 1AA', 'S W1A 1AA', 'SW1A1AAA', 'SW1AA 1AA'])(
    'rejects %p',
    (input) => {
      expect(Postcode.isValid(input)).toBe(false);
      expect(() => Postcode.parse(input)).toThrow(/^postcode: is not a UK postcode/);
    },
  );

  it('parses outward-only district codes', () => {
    expect(Postcode.parseDistrict(' sw1a ')).toBe('SW1A');
    expect(Postcode.parseDistrict('m1')).toBe('M1');
    expect(Postcode.isValidDistrict('DN55')).toBe(true);
    expect(Postcode.isValidDistrict('SW1A 1AA')).toBe(false);
    expect(() => Postcode.parseDistrict('SW1A 1AA', 'outcode')).toThrow(
      /^outcode: is not a UK postcode district/,
    );
  });

  it('takes the district of either form', () => {
    expect(Postcode.districtOf('sw1a1aa')).toBe('SW1A');
    expect(Postcode.districtOf('B33')).toBe('B33');
    expect(() => Postcode.districtOf('nope')).toThrow();
  });

  it('does not accept non-strings', () => {
    expect(Postcode.isValid(12345)).toBe(false);
    expect(Postcode.isValid(undefined)).toBe(false);
  });
});
