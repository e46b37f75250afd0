import { deriveStatus, softThreshold, utilisation, type LoadFacts } from './capacity-rules';

const base: LoadFacts = {
  paused: false,
  active: 0,
  reserved: 0,
  maxActive: 20,
  offersThisWeek: 0,
  weeklyIntake: 10,
};

describe('deriveStatus', () => {
  it('moves open -> limited -> full as load grows', () => {
    expect(deriveStatus({ ...base, active: 16 }, 0.85)).toBe('open');
    expect(deriveStatus({ ...base, active: 16, reserved: 1 }, 0.85)).toBe('limited');
    expect(deriveStatus({ ...base, active: 19, reserved: 1 }, 0.85)).toBe('full');
  });

  it('is full when maxActive is lowered below the load, or the week is used up', () => {
    expect(deriveStatus({ ...base, active: 5, maxActive: 3 }, 0.85)).toBe('full');
    expect(deriveStatus({ ...base, offersThisWeek: 10 }, 0.85)).toBe('full');
    expect(deriveStatus({ ...base, weeklyIntake: 0 }, 0.85)).toBe('full');
  });

  it('is paused whatever the load when paused by hand', () => {
    expect(deriveStatus({ ...base, paused: true, active: 20 }, 0.85)).toBe('paused');
  });
});

describe('softThreshold and utilisation', () => {
  it('reads the threshold from the environment, falling back to 0.85 for nonsense', () => {
    expect(softThreshold({})).toBe(0.85);
    expect(softThreshold({ CAPACITY_SOFT_THRESHOLD: '0.5' })).toBe(0.5);
    expect(softThreshold({ CAPACITY_SOFT_THRESHOLD: 'lots' })).toBe(0.85);
    expect(softThreshold({ CAPACITY_SOFT_THRESHOLD: '2' })).toBe(0.85);
  });

  it('rounds utilisation and treats a zero limit as full', () => {
    expect(utilisation({ active: 1, reserved: 1, maxActive: 3 })).toBe(0.667);
    expect(utilisation({ active: 0, reserved: 0, maxActive: 0 })).toBe(1);
  });
});
