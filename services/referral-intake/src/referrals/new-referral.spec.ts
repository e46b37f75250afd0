import 'reflect-metadata';
import { contractsRegistry } from '@sp/messaging';
import { Postcode } from '@sp/domain';
import { plainToInstance } from 'class-transformer';
import { randomBytes } from 'node:crypto';
import { FieldCipher } from '../security/field-cipher';
import {
  encryptedIdentity,
  IDENTITY_COLUMNS,
  identityFieldsWritten,
  newReferralEvents,
  receivedTimelineDetail,
  type NewReferralFacts,
} from './new-referral';
import { CreateReferralDto } from './referral.dto';

const body = {
  pcnCode: 'U00001',
  practiceCode: 'P88001',
  referrer: { name: ' Dr Example ', role: ' GP ' },
  patient: {
    nhsNumber: '9990000018',
    givenName: ' Ada ',
    familyName: "O'Neill-Smith",
    birthDate: '1950-04-01',
    postcode: 'ls1 4ap',
    phone: '+44 7700 900123',
    preferredLanguage: 'pl',
    accessibilityNeeds: ['bsl'],
  },
  needs: ['loneliness'],
};
const dto = plainToInstance(CreateReferralDto, body);
const postcode = Postcode.parse(body.patient.postcode);
const cipher = new FieldCipher(randomBytes(32));
const id = '0b8a6f0e-55a4-4bd9-9d0e-7e6c2a8c4f11';

describe('what a new referral writes', () => {
  it('encrypts each identity value bound to its row and column, in the column order', () => {
    const row = encryptedIdentity(cipher, id, dto, '9990000018', postcode);
    const columns = IDENTITY_COLUMNS.split(', ');
    expect(row).toHaveLength(columns.length);
    const at = (c: string) => row[columns.indexOf(c)] as string | null;
    expect(at('referral_id')).toBe(id);
    expect(cipher.decrypt(at('nhs_number')!, `${id}:nhs_number`)).toBe('9990000018');
    expect(cipher.decrypt(at('given_name')!, `${id}:given_name`)).toBe('Ada');
    expect(cipher.decrypt(at('postcode')!, `${id}:postcode`)).toBe('LS1 4AP');
    expect(cipher.decrypt(at('referrer_name')!, `${id}:referrer_name`)).toBe('Dr Example');
    expect(at('email')).toBeNull();
    expect(at('referrer_role')).toBe('GP');
    // Bound to its column: the given name does not decrypt as the family name.
    expect(() => cipher.decrypt(at('given_name')!, `${id}:family_name`)).toThrow();
  });

  it('names in the audit entry only the identity fields the referral holds', () => {
    expect(identityFieldsWritten(dto)).toEqual([
      'nhs_number',
      'given_name',
      'family_name',
      'birth_date',
      'postcode',
      'phone',
      'referrer_name',
    ]);
  });

  it('publishes a received and a status event that pass their contracts and carry nothing identifying', () => {
    const facts: NewReferralFacts = {
      id,
      receivedId: '3d1f0b8e-9c2a-4e55-8f1e-0a6b7c8d9e10',
      dto,
      personKey: '0f'.repeat(32),
      ageBand: '75-84',
      postcode,
      linkedReferralId: 'c9f1e7a2-1b3d-4c5e-8f70-9a1b2c3d4e5f',
      source: 'import',
      now: new Date('2026-11-21T10:00:00Z'),
    };
    const [received, status] = newReferralEvents(facts);
    expect(received.id).toBe(facts.receivedId);
    expect(received.data).toMatchObject({
      referralId: id,
      postcodeDistrict: 'LS1',
      preferredLanguage: 'pl',
      accessibilityNeeds: ['bsl'],
      linkedReferralId: facts.linkedReferralId,
      source: 'import',
    });
    expect(status.data).toMatchObject({ referralId: id, to: 'awaiting-consent' });
    for (const e of [received, status]) expect(contractsRegistry.validate(e.type, e.data)).toEqual([]);
    const text = JSON.stringify([received, status]);
    for (const secret of ['9990000018', 'Ada', "O'Neill", '1950-04-01', 'LS1 4AP', '7700', 'Example'])
      expect(text).not.toContain(secret);
    expect(receivedTimelineDetail(facts)).toEqual({
      source: 'import',
      needs: ['loneliness'],
      possibleDuplicateOf: facts.linkedReferralId,
    });
  });
});
