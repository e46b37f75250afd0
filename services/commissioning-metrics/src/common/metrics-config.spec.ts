import { AnalyticsKeys, IcsDirectory } from './metrics-config';

describe('IcsDirectory', () => {
  it('maps PCNs from PCN_ICS_MAP and falls back to DEFAULT_ICS_CODE', () => {
    const d = new IcsDirectory({ PCN_ICS_MAP: '{"U00001":"qaa","U00002":"QBB"}', DEFAULT_ICS_CODE: 'QZZ' });
    expect(d.fromEnv('U00001')).toBe('QAA');
    expect(d.fromEnv('u00002')).toBe('QBB');
    expect(d.fromEnv('U00003')).toBe('QZZ');
    expect(new IcsDirectory({}).fromEnv('U00001')).toBe('QWO');
  });

  it('prefers the ICS a pcn.registered.v1 gave, and falls back to the environment for other PCNs', async () => {
    const registered: Record<string, string> = { U00001: 'QRR' };
    const db = {
      query: async (_sql: string, params?: unknown[]) => {
        const ics = registered[String(params?.[0])];
        return ics ? [{ ics_code: ics }] : [];
      },
    };
    const d = new IcsDirectory(
      { PCN_ICS_MAP: '{"U00001":"QAA","U00002":"QBB"}', DEFAULT_ICS_CODE: 'QZZ' },
      db,
    );
    expect(await d.icsOf('U00001')).toBe('QRR');
    expect(await d.icsOf('u00002')).toBe('QBB');
    expect(await d.icsOf('U00003')).toBe('QZZ');
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
