import { ValidationError } from '@nestjs/common';
import { servicePort, serviceDescriptor, SERVICES } from './service-config';
import { flattenValidationErrors } from './validation';

describe('service configuration', () => {
  it('knows every service with a distinct port and database', () => {
    expect(SERVICES.map((s) => s.name).sort()).toEqual(
      ['commissioning-metrics', 'consent', 'gateway', 'matching', 'referral-intake', 'vcso-capacity'].sort(),
    );
    expect(new Set(SERVICES.map((s) => s.port)).size).toBe(SERVICES.length);
    expect(serviceDescriptor('gateway').database).toBeNull();
  });

  it('takes a port from <SERVICE>_PORT, else the default shifted by SP_PORT_OFFSET', () => {
    expect(servicePort('referral-intake', {})).toBe(3001);
    expect(servicePort('referral-intake', { SP_PORT_OFFSET: '200' })).toBe(3201);
    expect(servicePort('referral-intake', { REFERRAL_INTAKE_PORT: '4001', SP_PORT_OFFSET: '200' })).toBe(
      4001,
    );
    expect(() => servicePort('billing', {})).toThrow(/unknown service "billing"/);
  });
});

describe('flattenValidationErrors', () => {
  it('names nested fields with dotted paths', () => {
    const errors: ValidationError[] = [
      { property: 'pcnCode', constraints: { matches: 'pcnCode must be U and five digits' }, children: [] },
      {
        property: 'patient',
        children: [
          { property: 'nhsNumber', constraints: { isNhs: 'check digit does not match' }, children: [] },
        ],
      },
    ];
    expect(flattenValidationErrors(errors)).toEqual([
      { field: 'pcnCode', message: 'pcnCode must be U and five digits' },
      { field: 'patient.nhsNumber', message: 'check digit does not match' },
    ]);
  });
});
