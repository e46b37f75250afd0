// The code lists of CONTRACT.md ("Codes"), plus the few event-only codes. Events carry these codes and
// never free text, so a consumer can rely on a closed set and nothing personal can slip in as prose.

/** What a referral asks help with, and the age bands that stand in for birth dates: the domain's own lists. */
export { AGE_BANDS, NEED_CODES } from '@sp/domain';
export type { AgeBand, NeedCode } from '@sp/domain';

/** Where a referral is in its life. */
export const REFERRAL_STATUSES = [
  'awaiting-consent',
  'awaiting-assessment',
  'matching',
  'waitlisted',
  'offered',
  'accepted',
  'completed',
  'closed',
] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

/** Why a referral was closed. */
export const CLOSE_REASONS = [
  'consent-declined',
  'consent-withdrawn',
  'person-declined',
  'no-contact',
  'no-suitable-service',
  'other',
] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** Who holds the duty of care: referrer -> link-worker -> vcso, and back to link-worker. */
export const RESPONSIBLE_PARTIES = ['referrer', 'link-worker', 'vcso'] as const;
export type ResponsibleParty = (typeof RESPONSIBLE_PARTIES)[number];

/** Where an offer of a place at a VCSO service is. */
export const OFFER_STATUSES = [
  'pending',
  'accepted',
  'declined',
  'expired',
  'cancelled',
  'completed',
  'did-not-attend',
] as const;
export type OfferStatus = (typeof OFFER_STATUSES)[number];

/** A service's capacity status; `limited` means load at or above the soft threshold. */
export const CAPACITY_STATUSES = ['open', 'limited', 'full', 'paused'] as const;
export type CapacityStatus = (typeof CAPACITY_STATUSES)[number];

/** How a VCSO service meets people. */
export const SERVICE_MODES = ['in-person', 'online', 'phone'] as const;
export type ServiceMode = (typeof SERVICE_MODES)[number];

/** How consent was recorded. */
export const CONSENT_METHODS = ['verbal', 'written', 'digital'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

/** How a referral entered the platform. */
export const REFERRAL_SOURCES = ['api', 'import'] as const;
export type ReferralSource = (typeof REFERRAL_SOURCES)[number];

/** Why a VCSO declined an offer. */
export const OFFER_DECLINE_REASONS = ['no-capacity', 'not-suitable', 'person-unreachable', 'other'] as const;
export type OfferDeclineReason = (typeof OFFER_DECLINE_REASONS)[number];

/** Why the platform cancelled an open offer. */
export const OFFER_CANCEL_REASONS = ['consent-withdrawn', 'referral-closed', 'other'] as const;
export type OfferCancelReason = (typeof OFFER_CANCEL_REASONS)[number];

/** How a placement ended. */
export const OFFER_OUTCOMES = ['completed', 'did-not-attend'] as const;
export type OfferOutcome = (typeof OFFER_OUTCOMES)[number];

/** Why a need could not be met (the evidence commissioners fund new capacity with). */
export const UNMET_NEED_REASONS = ['waitlisted', 'no-suitable-service'] as const;
export type UnmetNeedReason = (typeof UNMET_NEED_REASONS)[number];

/**
 * Why a service's capacity changed. The API's free-text `reason` stays in the capacity service; the
 * event carries only one of these codes.
 */
export const CAPACITY_CHANGE_REASONS = [
  'coordinator-paused',
  'coordinator-resumed',
  'pcn-paused',
  'pcn-resumed',
  'scheduled-reopen',
  'limits-changed',
  'offer-reserved',
  'offer-released',
  'placement-started',
  'placement-ended',
  'week-rolled-over',
  'other',
] as const;
export type CapacityChangeReason = (typeof CAPACITY_CHANGE_REASONS)[number];

/**
 * Wellbeing measures recorded as outcomes. `ons4`: the ONS personal wellbeing questions, four items
 * scored 0-10 (life satisfaction, worthwhile, happy yesterday, anxious yesterday; for anxiety lower is
 * better). `swemwbs`: the Short Warwick-Edinburgh Mental Wellbeing Scale, seven items scored 1-5.
 */
export const OUTCOME_MEASURES = ['ons4', 'swemwbs'] as const;
export type OutcomeMeasure = (typeof OUTCOME_MEASURES)[number];

/** When a wellbeing measure was taken: before the person's support began, or after. */
export const OUTCOME_STAGES = ['baseline', 'follow-up'] as const;
export type OutcomeStage = (typeof OUTCOME_STAGES)[number];

/** How many items each measure has, and the range of each item's score. */
export const OUTCOME_ITEM_RULES: Readonly<
  Record<OutcomeMeasure, { items: number; min: number; max: number }>
> = Object.freeze({
  ons4: { items: 4, min: 0, max: 10 },
  swemwbs: { items: 7, min: 1, max: 5 },
});

// Shapes of the identifiers events may carry. Kept here (not imported from @sp/domain) so the contract
// stands alone; they mirror the domain value objects.

/** PCN ODS code: U followed by five digits. */
export const PCN_CODE_PATTERN = /^U\d{5}$/;
/** GP practice ODS code: a letter followed by five digits. */
export const PRACTICE_CODE_PATTERN = /^[A-Z]\d{5}$/;
/** ICS (ICB) ODS code: Q followed by two letters or digits. */
export const ICS_CODE_PATTERN = /^Q[A-Z0-9]{2}$/;
/** Postcode district (outward code): the coarsest geography that still places a person. */
export const POSTCODE_DISTRICT_PATTERN = /^[A-Z]{1,2}\d[A-Z\d]?$/;
/** Person key: HMAC-SHA256 of the NHS number under a secret key, as 64 lower-case hex digits. */
export const PERSON_KEY_PATTERN = /^[0-9a-f]{64}$/;
/** ISO 639-1 language code, lower case. */
export const LANGUAGE_CODE_PATTERN = /^[a-z]{2}$/;
/** A short kebab-case code (accessibility needs and the like): never prose. */
export const SHORT_CODE_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
