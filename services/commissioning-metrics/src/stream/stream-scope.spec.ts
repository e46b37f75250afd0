import { EVENT_EXAMPLES, type CloudEvent } from '@sp/contracts';
import { IcsDirectory } from '../common/metrics-config';
import { inStreamScope } from './stream.controller';

const ics = new IcsDirectory({ PCN_ICS_MAP: '{"U12345":"QWO","U00009":"QAA"}' });
const ev = (type: 'analytics.status-changed.v1' | 'analytics.load-changed.v1'): CloudEvent => ({
  id: 'x',
  type,
  source: 'commissioning-metrics',
  specversion: '1.0',
  time: '2025-03-03T10:15:00Z',
  subject: 's',
  datacontenttype: 'application/json',
  data: EVENT_EXAMPLES[type],
});

describe('inStreamScope', () => {
  const status = ev('analytics.status-changed.v1'); // ICS QWO, PCN U12345
  const load = ev('analytics.load-changed.v1'); // ICS QWO

  it('shows an analyst their own ICS only', () => {
    expect(inStreamScope({ sub: 'a', role: 'ics_analyst', ics: 'QWO' }, status, ics)).toBe(true);
    expect(inStreamScope({ sub: 'a', role: 'ics_analyst', ics: 'QWO' }, load, ics)).toBe(true);
    expect(inStreamScope({ sub: 'a', role: 'ics_analyst', ics: 'QAA' }, status, ics)).toBe(false);
    expect(inStreamScope({ sub: 'a', role: 'ics_analyst', ics: 'QAA' }, load, ics)).toBe(false);
  });

  it("shows PCN operations their PCN's referrals and their ICS's services", () => {
    expect(inStreamScope({ sub: 'o', role: 'pcn_ops', pcn: 'U12345' }, status, ics)).toBe(true);
    expect(inStreamScope({ sub: 'o', role: 'pcn_ops', pcn: 'U12345' }, load, ics)).toBe(true);
    expect(inStreamScope({ sub: 'o', role: 'pcn_ops', pcn: 'U00009' }, status, ics)).toBe(false);
    expect(inStreamScope({ sub: 'o', role: 'pcn_ops', pcn: 'U00009' }, load, ics)).toBe(false);
  });

  it('shows a load change without an ICS to nobody but an admin', () => {
    const { icsCode: _ics, ...rest } = EVENT_EXAMPLES['analytics.load-changed.v1'];
    const bare = { ...load, data: rest };
    expect(inStreamScope({ sub: 'a', role: 'ics_analyst', ics: 'QWO' }, bare, ics)).toBe(false);
    expect(inStreamScope({ sub: 'x', role: 'admin' }, bare, ics)).toBe(true);
  });
});
