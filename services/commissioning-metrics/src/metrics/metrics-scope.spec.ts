import { NotFoundException } from '@nestjs/common';
import { IcsDirectory } from '../common/metrics-config';
import { instant, metricsScope, scopeWhere } from './metrics-scope';

const ics = new IcsDirectory({ PCN_ICS_MAP: '{"U00001":"QAA","U00002":"QAA","U00003":"QBB"}' });

describe('metricsScope', () => {
  it('keeps PCN operations to their own PCN, exactly', async () => {
    const ops = { sub: 'o', role: 'pcn_ops' as const, pcn: 'U00001' };
    expect(await metricsScope(ops, undefined, ics)).toEqual({ pcnCode: 'U00001', exact: true });
    expect(await metricsScope(ops, 'u00001', ics)).toEqual({ pcnCode: 'U00001', exact: true });
    await expect(metricsScope(ops, 'U00002', ics)).rejects.toThrow(NotFoundException);
  });

  it('keeps an ICS analyst to their ICS, under the small-number rule', async () => {
    const analyst = { sub: 'a', role: 'ics_analyst' as const, ics: 'QAA' };
    expect(await metricsScope(analyst, undefined, ics)).toEqual({
      icsCode: 'QAA',
      pcnCode: undefined,
      exact: false,
    });
    expect(await metricsScope(analyst, 'U00002', ics)).toEqual({
      icsCode: 'QAA',
      pcnCode: 'U00002',
      exact: false,
    });
    await expect(metricsScope(analyst, 'U00003', ics)).rejects.toThrow(NotFoundException);
  });

  it('builds parameterised conditions', () => {
    const params: unknown[] = ['x'];
    expect(scopeWhere({ pcnCode: 'U00001', icsCode: 'QAA', exact: false }, params, 'f')).toEqual([
      'f.pcn_code = $2',
      'f.ics_code = $3',
    ]);
    expect(params).toEqual(['x', 'U00001', 'QAA']);
  });

  it('reads a bare date as midnight UTC', () => {
    expect(instant('2026-01-05')).toBe('2026-01-05T00:00:00Z');
    expect(instant('2026-01-05T10:00:00+01:00')).toBe('2026-01-05T10:00:00+01:00');
    expect(instant(undefined)).toBeNull();
  });
});
