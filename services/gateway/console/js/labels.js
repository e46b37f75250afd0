// The contract's code lists (CONTRACT.md, "Codes") with the words people read. The browser cannot import
// the TypeScript lists, so they are repeated here; a code missing from a map is shown as it is.

export const NEEDS = {
  loneliness: 'Loneliness',
  'mental-wellbeing': 'Mental wellbeing',
  'physical-activity': 'Physical activity',
  'healthy-eating': 'Healthy eating',
  housing: 'Housing',
  money: 'Money and debt',
  employment: 'Employment',
  carers: 'Carers',
  'long-term-condition': 'Long-term condition',
  'arts-culture': 'Arts and culture',
  nature: 'Nature',
  bereavement: 'Bereavement',
  'digital-inclusion': 'Digital inclusion',
  'family-parenting': 'Family and parenting',
};

export const REFERRAL_STATUSES = {
  'awaiting-consent': ['Awaiting consent', 'yellow'],
  'awaiting-assessment': ['Awaiting assessment', 'orange'],
  matching: ['Matching', 'blue'],
  waitlisted: ['Waitlisted', 'red'],
  offered: ['Offered', 'purple'],
  accepted: ['Accepted', 'aqua-green'],
  completed: ['Completed', 'green'],
  closed: ['Closed', 'grey'],
};

export const CLOSE_REASONS = {
  'consent-declined': 'Consent declined',
  'consent-withdrawn': 'Consent withdrawn',
  'person-declined': 'Person declined',
  'no-contact': 'Could not contact the person',
  'no-suitable-service': 'No suitable service',
  other: 'Other',
};

export const RESPONSIBLE = { referrer: 'Referrer', 'link-worker': 'Link worker', vcso: 'VCSO' };

export const OFFER_STATUSES = {
  pending: ['Pending', 'yellow'],
  accepted: ['Accepted', 'aqua-green'],
  declined: ['Declined', 'red'],
  expired: ['Expired', 'grey'],
  cancelled: ['Cancelled', 'grey'],
  completed: ['Completed', 'green'],
  'did-not-attend': ['Did not attend', 'orange'],
};

export const DECLINE_REASONS = {
  'no-capacity': 'No capacity',
  'not-suitable': 'Not suitable for the person',
  'person-unreachable': 'Could not reach the person',
  other: 'Other',
};

export const CAPACITY_STATUSES = {
  open: ['Open', 'green'],
  limited: ['Limited', 'yellow'],
  full: ['Full', 'red'],
  paused: ['Paused', 'grey'],
};

/** Why a coordinator pauses: short codes, because the reason must never carry anything personal. */
export const PAUSE_REASONS = {
  'volunteer-shortage': 'Volunteer shortage',
  'venue-unavailable': 'Venue unavailable',
  'too-many-referrals': 'Too many referrals',
  holiday: 'Holiday break',
  'funding-gap': 'Funding gap',
  other: 'Other',
};

export const EXCLUSION_REASONS = {
  needs: 'Does not cover the needs',
  'already-offered': 'Already offered',
  age: 'Outside its age range',
  language: 'Language not offered',
  accessibility: 'Accessibility needs not met',
  'too-far': 'Too far away',
  paused: 'Paused',
  full: 'Full',
  'weekly-intake-used': 'Weekly intake used',
};

export const ROLES = {
  link_worker: ['Link worker', 'Consent, assessment, choosing services and outcomes for a PCN'],
  pcn_ops: ['PCN operations', 'Runs a PCN’s pipeline and sees its figures'],
  referrer: ['Referrer', 'Practice staff who refer people and follow their referrals'],
  vcso_coordinator: ['VCSO coordinator', 'Capacity, offers and attendance for one organisation'],
  ics_analyst: ['ICS analyst', 'De-identified load and unmet need across an ICS'],
  admin: ['Administrator', 'The whole platform'],
};

export const TIMELINE = {
  received: 'Referral received',
  'consent-granted': 'Consent granted',
  'consent-declined': 'Consent declined',
  'consent-withdrawn': 'Consent withdrawn',
  assessed: 'Assessed by the link worker',
  'offer-made': 'Place offered',
  'offer-accepted': 'Offer accepted by the VCSO',
  'offer-declined': 'Offer declined by the VCSO',
  'offer-expired': 'Offer expired',
  'offer-cancelled': 'Offer cancelled',
  'offer-completed': 'Placement completed',
  'did-not-attend': 'Did not attend',
  waitlisted: 'Waitlisted',
  closed: 'Closed',
};

/** ONS4 items, in the order the outcomes API expects them (0 to 10 each). */
export const ONS4_ITEMS = [
  'Overall, how satisfied are you with your life nowadays?',
  'Overall, to what extent do you feel the things you do in your life are worthwhile?',
  'Overall, how happy did you feel yesterday?',
  'Overall, how anxious did you feel yesterday?',
];

/** SWEMWBS items, in order (1 "none of the time" to 5 "all of the time"). */
export const SWEMWBS_ITEMS = [
  'I’ve been feeling optimistic about the future',
  'I’ve been feeling useful',
  'I’ve been feeling relaxed',
  'I’ve been dealing with problems well',
  'I’ve been thinking clearly',
  'I’ve been feeling close to other people',
  'I’ve been able to make up my own mind about things',
];

export function label(map, code) {
  const v = map[code];
  if (Array.isArray(v)) return v[0];
  return v ?? code ?? '';
}

export function colour(map, code) {
  const v = map[code];
  return Array.isArray(v) ? v[1] : 'grey';
}
