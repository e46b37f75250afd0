import { haversineKm } from './distance';

describe('haversineKm', () => {
  it('measures London to Manchester as about 262 km', () => {
    const km = haversineKm({ lat: 51.5072, lon: -0.1276 }, { lat: 53.4808, lon: -2.2426 });
    expect(km).toBeGreaterThan(255);
    expect(km).toBeLessThan(265);
  });

  it('is zero for the same point', () => {
    expect(haversineKm({ lat: 52, lon: -1 }, { lat: 52, lon: -1 })).toBe(0);
  });
});
