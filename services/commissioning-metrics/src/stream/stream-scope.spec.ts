import { EVENT_EXAMPLES, type CloudEvent } from '@sp/contracts';
import type { AuthClaims } from '@sp/auth';
import { inStreamScope } from './stream.controller';

// Each PCN's ICS as the controller resolves it when the stream opens.
const pcnIcs: Record<string, string> = { U12345: 'QWO', U00009: 'QAA' };
const scoped = (user: AuthClaims, e: CloudEvent) =>
  inStreamScope(user, e, user.pcn ? pcnIcs[user.pcn] : undefined);
const ev = (
  type: 'analytics.status-changed.v1' | 'analytics.load-changed.v1' | 'analytics.outcome-recorded.v1',
): CloudEvent => ({
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
    expect(scoped({ sub: 'a', role: 'ics_analyst', ics: 'QWO' }, status)).toBe(true);
    expect(scoped({ sub: 'a', role: 'ics_analyst', ics: 'QWO' }, load)).toBe(true);
    expect(scoped({ sub: 'a', role: 'ics_analyst', ics: 'QAA' }, status)).toBe(false);
    expect(scoped({ sub: 'a', role: 'ics_analyst', ics: 'QAA' }, load)).toBe(false);
  });

  it("shows PCN operations their PCN's referrals and their ICS's services", () => {
    expect(scoped({ sub: 'o', role: 'pcn_ops', pcn: 'U12345' }, status)).toBe(true);
    expect(scoped({ sub: 'o', role: 'pcn_ops', pcn: 'U12345' }, load)).toBe(true);
    expect(scoped({ sub: 'o', role: 'pcn_ops', pcn: 'U00009' }, status)).toBe(false);
    expect(scoped({ sub: 'o', role: 'pcn_ops', pcn: 'U00009' }, load)).toBe(false);
  });

  it('scopes wellbeing outcomes like status changes: the ICS, or the PCN', () => {
    const outcome = ev('analytics.outcome-recorded.v1'); // ICS QWO, PCN U12345
    expect(scoped({ sub: 'a', role: 'ics_analyst', ics: 'QWO' }, outcome)).toBe(true);
    expect(scoped({ sub: 'a', role: 'ics_analyst', ics: 'QAA' }, outcome)).toBe(false);
    expect(scoped({ sub: 'o', role: 'pcn_ops', pcn: 'U12345' }, outcome)).toBe(true);
    expect(scoped({ sub: 'o', role: 'pcn_ops', pcn: 'U00009' }, outcome)).toBe(false);
  });

  it('shows a load change without an ICS to nobody but an admin', () => {
    const { icsCode: _ics, ...rest } = EVENT_EXAMPLES['analytics.load-changed.v1'];
    const bare = { ...load, data: rest };
    expect(scoped({ sub: 'a', role: 'ics_analyst', ics: 'QWO' }, bare)).toBe(false);
    expect(scoped({ sub: 'x', role: 'admin' }, bare)).toBe(true);
  });
});
