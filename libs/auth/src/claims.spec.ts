import { InvalidClaimsError, validateClaims } from './claims';
import { isRole, REQUIRED_SCOPE_CLAIMS, ROLES } from './roles';

describe('roles', () => {
  it('lists the six contract roles, each with its scope claims', () => {
    expect(ROLES).toEqual(['referrer', 'link_worker', 'pcn_ops', 'vcso_coordinator', 'ics_analyst', 'admin']);
    expect(Object.keys(REQUIRED_SCOPE_CLAIMS).sort()).toEqual([...ROLES].sort());
    expect(isRole('admin')).toBe(true);
    expect(isRole('Admin')).toBe(false);
    expect(isRole(undefined)).toBe(false);
  });
});

describe('validateClaims', () => {
  it.each([
    [{ sub: 'u1', role: 'referrer', practice: 'P00001', pcn: 'U00001' }],
    [{ sub: 'u1', role: 'link_worker', pcn: 'U00001' }],
    [{ sub: 'u1', role: 'pcn_ops', pcn: 'U00001' }],
    [{ sub: 'u1', role: 'vcso_coordinator', org: '3f8e1c2a-0b7d-4c55-9a61-2f0e4b7c9d10' }],
    [{ sub: 'u1', role: 'ics_analyst', ics: 'QXX' }],
    [{ sub: 'u1', role: 'admin' }],
  ])('accepts %j', (payload) => {
    expect(validateClaims(payload)).toEqual(payload);
  });

  it('keeps only the platform claims and upper-cases ODS codes', () => {
    const claims = validateClaims({
      sub: ' u1 ',
      role: 'referrer',
      practice: 'p00001',
      pcn: 'u00001',
      scope: 'read write',
      iat: 1,
      exp: 2,
      iss: 'sp-dev',
      extra: 'x',
    });
    expect(claims).toEqual({
      sub: 'u1',
      role: 'referrer',
      practice: 'P00001',
      pcn: 'U00001',
      scope: 'read write',
    });
  });

  it.each([
    [
      { sub: 'u1', role: 'referrer', pcn: 'U00001' },
      'practice',
      'claim "practice" is required for role referrer',
    ],
    [{ sub: 'u1', role: 'referrer', practice: 'P00001' }, 'pcn', 'claim "pcn" is required for role referrer'],
    [{ sub: 'u1', role: 'link_worker' }, 'pcn', 'claim "pcn" is required for role link_worker'],
    [{ sub: 'u1', role: 'pcn_ops', pcn: '' }, 'pcn', 'claim "pcn" is required for role pcn_ops'],
    [
      { sub: 'u1', role: 'vcso_coordinator', pcn: 'U00001' },
      'org',
      'claim "org" is required for role vcso_coordinator',
    ],
    [{ sub: 'u1', role: 'ics_analyst' }, 'ics', 'claim "ics" is required for role ics_analyst'],
  ])('rejects %j for a missing scope claim', (payload, claim, message) => {
    expect(() => validateClaims(payload)).toThrow(expect.objectContaining({ claim, message }));
  });

  it.each([
    [null, 'payload'],
    [[], 'payload'],
    [{ role: 'admin' }, 'sub'],
    [{ sub: 3, role: 'admin' }, 'sub'],
    [{ sub: 'x'.repeat(257), role: 'admin' }, 'sub'],
    [{ sub: 'u1' }, 'role'],
    [{ sub: 'u1', role: 'superuser' }, 'role'],
    [{ sub: 'u1', role: 'link_worker', pcn: 'P00001' }, 'pcn'],
    [{ sub: 'u1', role: 'referrer', pcn: 'U00001', practice: 'U00002' }, 'practice'],
    [{ sub: 'u1', role: 'vcso_coordinator', org: 'has space' }, 'org'],
    [{ sub: 'u1', role: 'ics_analyst', ics: ['QXX'] }, 'ics'],
  ])('rejects %j naming %s', (payload, claim) => {
    expect(() => validateClaims(payload)).toThrow(InvalidClaimsError);
    expect(() => validateClaims(payload)).toThrow(expect.objectContaining({ claim }));
  });
});
