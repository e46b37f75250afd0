import { getMetadataStorage } from 'class-validator';
import { buildAsyncApi } from './asyncapi';
import { EVENT_CATALOGUE, EVENT_TYPES } from './event-catalogue';

// Invariant 1 of CONTRACT.md: no NHS number, name, date of birth, phone, email, full postcode or
// free-text note on any topic. Field names are the first line of defence: a property whose name
// suggests personal data should never get as far as a review.
const SUSPICIOUS = [
  /nhs/i,
  /name/i,
  /birth/i,
  /dob/i,
  /phone|mobile/i,
  /e-?mail/i,
  /postcode/i,
  /note/i,
  /address/i,
  /contact/i,
];
const ALLOWED = new Set(['postcodeDistrict']);
// Per payload class: a property whose name looks personal but is not. A PCN's `name` is an NHS
// organisation's public name (an OrganisationName field: one line, at most 200 characters).
const ALLOWED_IN: Record<string, readonly string[]> = { PcnRegisteredV1: ['name'] };

function suggestsPersonalData(property: string, className?: string): boolean {
  if (className && ALLOWED_IN[className]?.includes(property)) return false;
  return !ALLOWED.has(property) && SUSPICIOUS.some((pattern) => pattern.test(property));
}

describe('no personal data in events', () => {
  it.each([
    'nhsNumber',
    'name',
    'givenName',
    'familyName',
    'birthDate',
    'dob',
    'phone',
    'email',
    'postcode',
    'notes',
    'address',
    'notesForVcso',
    'contactEmail',
  ])('would catch a property called %s', (property) => expect(suggestsPersonalData(property)).toBe(true));

  it('lets the postcode district through', () => {
    expect(suggestsPersonalData('postcodeDistrict')).toBe(false);
  });

  it("lets an organisation's name through only where the payload names it so", () => {
    expect(suggestsPersonalData('name', 'PcnRegisteredV1')).toBe(false);
    expect(suggestsPersonalData('name', 'PcnPracticeV1')).toBe(true);
    expect(suggestsPersonalData('givenName', 'PcnRegisteredV1')).toBe(true);
  });

  it.each(EVENT_TYPES)('%s has no property suggesting personal data', (type) => {
    const { dataClass, personal } = EVENT_CATALOGUE[type];
    const properties = getMetadataStorage()
      .getTargetValidationMetadatas(dataClass, '', true, false)
      .map((m) => m.propertyName);
    expect(properties.length).toBeGreaterThan(0);
    expect(properties.filter((p) => suggestsPersonalData(p, dataClass.name))).toEqual([]);
    expect(personal).toBe(false);
  });

  it('describes no such property in the AsyncAPI payloads either', () => {
    const doc = buildAsyncApi() as { components: { schemas: Record<string, { properties?: object }> } };
    const described = Object.entries(doc.components.schemas).flatMap(([name, s]) =>
      Object.keys(s.properties ?? {}).filter((p) => suggestsPersonalData(p, name)),
    );
    expect(described).toEqual([]);
  });
});
