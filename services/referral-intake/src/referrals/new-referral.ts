import {
  REFERRAL_RECEIVED_V1,
  REFERRAL_STATUS_CHANGED_V1,
  type ReferralReceivedV1,
  type ReferralSource,
  type ReferralStatusChangedV1,
} from '@sp/contracts';
import type { AgeBand, Postcode } from '@sp/domain';
import type { NewEvent } from '@sp/messaging';
import type { FieldCipher } from '../security/field-cipher';
import type { CreateReferralDto } from './referral.dto';

/**
 * What a new referral writes, whether it came one at a time (`POST /referrals`) or in bulk (import):
 * its encrypted identity row, the identity fields its audit entry names, and its two events. One place,
 * so that a referral reads the same downstream however it arrived.
 */

/** The identifiable columns a new referral writes (phone, email and notes only when given). */
export const IDENTITY_FIELDS = [
  'nhs_number',
  'given_name',
  'family_name',
  'birth_date',
  'postcode',
  'phone',
  'email',
  'notes',
  'referrer_name',
];

/** The identity fields a new referral actually holds, for its audit entry. */
export function identityFieldsWritten(dto: CreateReferralDto): string[] {
  const given: Record<string, boolean> = {
    phone: !!dto.patient.phone,
    email: !!dto.patient.email,
    notes: !!dto.notes,
  };
  return IDENTITY_FIELDS.filter((f) => given[f] ?? true);
}

/** The columns of `referral_identity`, in the order of `encryptedIdentity`'s values. */
export const IDENTITY_COLUMNS =
  'referral_id, nhs_number, given_name, family_name, birth_date, postcode, phone, email, notes, referrer_name, referrer_role';

/**
 * The `referral_identity` row of referral `id`: each identifying value encrypted, bound to its row and
 * column, in the order of IDENTITY_COLUMNS. Values are trimmed as intake stores them.
 */
export function encryptedIdentity(
  cipher: FieldCipher,
  id: string,
  dto: CreateReferralDto,
  nhsNumber: string,
  postcode: Postcode,
): unknown[] {
  const p = dto.patient;
  const ctx = (column: string) => `${id}:${column}`;
  return [
    id,
    cipher.encrypt(nhsNumber, ctx('nhs_number')),
    cipher.encrypt(p.givenName.trim(), ctx('given_name')),
    cipher.encrypt(p.familyName.trim(), ctx('family_name')),
    cipher.encrypt(p.birthDate, ctx('birth_date')),
    cipher.encrypt(postcode.value, ctx('postcode')),
    cipher.encryptOptional(p.phone?.trim(), ctx('phone')),
    cipher.encryptOptional(p.email?.trim(), ctx('email')),
    cipher.encryptOptional(dto.notes, ctx('notes')),
    cipher.encrypt(dto.referrer.name.trim(), ctx('referrer_name')),
    dto.referrer.role.trim(),
  ];
}

export interface NewReferralFacts {
  id: string;
  /** The CloudEvent id of its `referral.received.v1`, which its first timeline entry names as cause. */
  receivedId: string;
  dto: CreateReferralDto;
  personKey: string;
  ageBand: AgeBand;
  postcode: Postcode;
  /** The person's earliest open referral in this PCN, when there is one. */
  linkedReferralId?: string;
  source: ReferralSource;
  now: Date;
}

/** `referral.received.v1` and the first `referral.status-changed.v1`: codes and bands, never identity. */
export function newReferralEvents(f: NewReferralFacts): NewEvent<unknown>[] {
  const { id, dto, now } = f;
  const p = dto.patient;
  const accessibility = p.accessibilityNeeds ?? [];
  const received: ReferralReceivedV1 = {
    referralId: id,
    personKey: f.personKey,
    pcnCode: dto.pcnCode,
    practiceCode: dto.practiceCode,
    needs: dto.needs,
    ageBand: f.ageBand,
    postcodeDistrict: f.postcode.district,
    ...(p.preferredLanguage ? { preferredLanguage: p.preferredLanguage } : {}),
    ...(accessibility.length ? { accessibilityNeeds: accessibility } : {}),
    ...(f.linkedReferralId ? { linkedReferralId: f.linkedReferralId } : {}),
    source: f.source,
    receivedAt: now.toISOString(),
  };
  const statusChanged: ReferralStatusChangedV1 = {
    referralId: id,
    pcnCode: dto.pcnCode,
    practiceCode: dto.practiceCode,
    to: 'awaiting-consent',
    responsibleParty: 'referrer',
    changedAt: now.toISOString(),
  };
  return [
    { id: f.receivedId, type: REFERRAL_RECEIVED_V1, subject: id, data: received, time: now },
    { type: REFERRAL_STATUS_CHANGED_V1, subject: id, data: statusChanged, time: now },
  ];
}

/** The detail of a new referral's `received` timeline entry. */
export function receivedTimelineDetail(f: NewReferralFacts): Record<string, unknown> {
  return {
    source: f.source,
    needs: f.dto.needs,
    ...(f.linkedReferralId ? { possibleDuplicateOf: f.linkedReferralId } : {}),
  };
}
