import { AnalyticsKeys, IcsDirectory } from './metrics-config';

describe('IcsDirectory', () => {
  it('maps PCNs from PCN_ICS_MAP and falls back to DEFAULT_ICS_CODE', () => {
    const d = new IcsDirectory({ PCN_ICS_MAP: '{"U00001":"qaa","U00002":"QBB"}', DEFAULT_ICS_CODE: 'QZZ' });
    expect(d.icsFor('U00001')).toBe('QAA');
    expect(d.icsFor('u00002')).toBe('QBB');
    expect(d.icsFor('U00003')).toBe('QZZ');
    expect(new IcsDirectory({}).icsFor('U00001')).toBe('QWO');
  });

  it('refuses a map that is not PCN to ICS codes', () => {
    expect(() => new IcsDirectory({ PCN_ICS_MAP: '[1]' })).toThrow(/JSON object/);
    expect(() => new IcsDirectory({ PCN_ICS_MAP: '{"P00001":"QAA"}' })).toThrow(/PCN code/);
    expect(() => new IcsDirectory({ PCN_ICS_MAP: '{"U00001":"London"}' })).toThrow(/ICS code/);
  });
});

describe('AnalyticsKeys', () => {
  const platformKey = 'a'.repeat(64);

  it('gives each ICS its own key, never the platform key', () => {
    const keys = new AnalyticsKeys({ ANALYTICS_ICS_KEYS: '{"QAA":"secret-a"}' });
    const a = keys.personKeyFor('QAA', platformKey);
    const b = keys.personKeyFor('QBB', platformKey);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
    expect(a).not.toBe(platformKey);
    expect(keys.personKeyFor('QAA', platformKey)).toBe(a);
    expect(
      new AnalyticsKeys({ ANALYTICS_ICS_KEYS: '{"QAA":"other"}' }).personKeyFor('QAA', platformKey),
    ).not.toBe(a);
  });

  it('refuses to invent a key in production', () => {
    const keys = new AnalyticsKeys({ NODE_ENV: 'production' });
    expect(() => keys.personKeyFor('QAA', platformKey)).toThrow(/no key for ICS QAA/);
  });
});
