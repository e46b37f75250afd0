import 'reflect-metadata';
import { flattenValidationErrors } from '@sp/platform';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AssessmentDto, CloseReferralDto, CreateReferralDto } from './referral.dto';

const valid = () => ({
  pcnCode: 'U00001',
  practiceCode: 'P88001',
  referrer: { name: 'Dr Example', role: 'GP' },
  patient: {
    nhsNumber: '9990000018',
    givenName: 'Ada',
    familyName: "O'Neill-Smith",
    birthDate: '1950-04-01',
    postcode: 'LS1 4AP',
    phone: '+44 7700 900123',
    email: 'ada@example.org',
    preferredLanguage: 'en',
    accessibilityNeeds: ['wheelchair', 'bsl'],
  },
  needs: ['loneliness', 'money'],
  notes: 'Lives alone since spring.',
});

function problems(cls: new () => object, body: unknown): { field: string; message: string }[] {
  const instance = plainToInstance(cls, body) as object;
  return flattenValidationErrors(validateSync(instance, { whitelist: true, forbidNonWhitelisted: true }));
}

type Body = ReturnType<typeof valid>;
const cases: [string, (b: Body) => unknown, string][] = [
  ['pcn code shape', (b) => ({ ...b, pcnCode: 'X00001' }), 'pcnCode'],
  ['practice code shape', (b) => ({ ...b, practiceCode: 'U00001' }), 'practiceCode'],
  [
    'NHS number check digit',
    (b) => ({ ...b, patient: { ...b.patient, nhsNumber: '9990000019' } }),
    'patient.nhsNumber',
  ],
  [
    'NHS number length',
    (b) => ({ ...b, patient: { ...b.patient, nhsNumber: '99900000' } }),
    'patient.nhsNumber',
  ],
  [
    'future birth date',
    (b) => ({ ...b, patient: { ...b.patient, birthDate: '2999-01-01' } }),
    'patient.birthDate',
  ],
  [
    'ancient birth date',
    (b) => ({ ...b, patient: { ...b.patient, birthDate: '1850-01-01' } }),
    'patient.birthDate',
  ],
  [
    'impossible birth date',
    (b) => ({ ...b, patient: { ...b.patient, birthDate: '1980-02-30' } }),
    'patient.birthDate',
  ],
  [
    'postcode shape',
    (b) => ({ ...b, patient: { ...b.patient, postcode: 'NOT A CODE' } }),
    'patient.postcode',
  ],
  ['unknown need', (b) => ({ ...b, needs: ['astrology'] }), 'needs'],
  ['no needs', (b) => ({ ...b, needs: [] }), 'needs'],
  ['repeated need', (b) => ({ ...b, needs: ['money', 'money'] }), 'needs'],
  [
    'long given name',
    (b) => ({ ...b, patient: { ...b.patient, givenName: 'A'.repeat(101) } }),
    'patient.givenName',
  ],
  ['empty family name', (b) => ({ ...b, patient: { ...b.patient, familyName: '' } }), 'patient.familyName'],
  ['digits in a name', (b) => ({ ...b, patient: { ...b.patient, givenName: 'R2D2' } }), 'patient.givenName'],
  ['email shape', (b) => ({ ...b, patient: { ...b.patient, email: 'not-an-email' } }), 'patient.email'],
  ['phone shape', (b) => ({ ...b, patient: { ...b.patient, phone: 'call me' } }), 'patient.phone'],
  [
    'language code',
    (b) => ({ ...b, patient: { ...b.patient, preferredLanguage: 'English' } }),
    'patient.preferredLanguage',
  ],
  [
    'accessibility prose',
    (b) => ({ ...b, patient: { ...b.patient, accessibilityNeeds: ['needs a ramp please'] } }),
    'patient.accessibilityNeeds',
  ],
  ['long notes', (b) => ({ ...b, notes: 'x'.repeat(2001) }), 'notes'],
  ['missing patient', (b) => ({ ...b, patient: undefined }), 'patient'],
  ['missing referrer name', (b) => ({ ...b, referrer: { role: 'GP' } }), 'referrer.name'],
  ['unknown field', (b) => ({ ...b, extra: 1 }), 'extra'],
  ['unknown patient field', (b) => ({ ...b, patient: { ...b.patient, religion: 'x' } }), 'patient.religion'],
];

describe('CreateReferralDto', () => {
  it('accepts a complete, valid referral', () => {
    expect(problems(CreateReferralDto, valid())).toEqual([]);
  });

  it('accepts the minimum (no optional fields)', () => {
    const {
      phone: _p,
      email: _e,
      preferredLanguage: _l,
      accessibilityNeeds: _a,
      ...patient
    } = valid().patient;
    const { notes: _n, ...rest } = valid();
    expect(problems(CreateReferralDto, { ...rest, patient })).toEqual([]);
  });

  it.each(cases)('refuses %s, naming the field', (_name, mutate, field) => {
    const found = problems(CreateReferralDto, mutate(valid()));
    expect(found.map((p) => p.field)).toContain(field);
  });

  it('names every bad field at once, and never quotes the values', () => {
    const body = valid();
    const found = problems(CreateReferralDto, {
      ...body,
      patient: { ...body.patient, nhsNumber: '9990000019', email: 'nope@', birthDate: '2999-01-01' },
    });
    expect(found.map((p) => p.field).sort()).toEqual([
      'patient.birthDate',
      'patient.email',
      'patient.nhsNumber',
    ]);
    const text = JSON.stringify(found);
    for (const value of ['9990000019', 'nope@', '2999-01-01']) expect(text).not.toContain(value);
  });
});

describe('AssessmentDto and CloseReferralDto', () => {
  it('accept valid bodies and refuse bad ones by field', () => {
    expect(
      problems(AssessmentDto, { needs: ['housing'], notesForVcso: 'Call mornings', autoOffer: true }),
    ).toEqual([]);
    expect(
      problems(AssessmentDto, { needs: ['x'], autoOffer: 'yes' })
        .map((p) => p.field)
        .sort(),
    ).toEqual(['autoOffer', 'needs']);
    expect(problems(CloseReferralDto, { reason: 'no-contact' })).toEqual([]);
    expect(problems(CloseReferralDto, { reason: 'bored' }).map((p) => p.field)).toEqual(['reason']);
  });
});
