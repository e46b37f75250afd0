import {
  Flag,
  IcsCode,
  Nested,
  NestedList,
  OrganisationName,
  PcnCode,
  PostcodeDistrict,
  PracticeCode,
  Timestamp,
  WholeNumber,
} from '../../field-validators';

export const PCN_REGISTERED_V1 = 'pcn.registered.v1' as const;

/** A practice of a PCN: its code and district; the surgery's full postcode and name stay in intake. */
export class PcnPracticeV1 {
  @PracticeCode()
  code: string;

  @PostcodeDistrict()
  postcodeDistrict: string;
}

/** The PCN's settings for its referrals. */
export class PcnSettingsV1 {
  @WholeNumber(1, 90, 'Days an offer to a VCSO stays open before it lapses.')
  offerExpiryDays: number;

  @Flag('Whether an assessment that does not say otherwise asks matching to offer by itself.')
  autoOffer: boolean;
}

/**
 * A PCN as intake now holds it: which ICS it sits in, its practices and its settings. Published on
 * every accepted change to the PCN (the full current picture, not a difference), keyed by the PCN
 * code, so consumers keep the one with the latest `registeredAt`.
 */
export class PcnRegisteredV1 {
  @PcnCode()
  pcnCode: string;

  @OrganisationName("The PCN's public name (an NHS organisation's, never a person's).")
  name: string;

  @IcsCode()
  icsCode: string;

  @NestedList(() => PcnPracticeV1, "The PCN's GP practices.", 1, 200)
  practices: PcnPracticeV1[];

  @Nested(() => PcnSettingsV1, "The PCN's settings, defaults filled in.")
  settings: PcnSettingsV1;

  @Timestamp('When intake accepted this version of the PCN.')
  registeredAt: string;
}
