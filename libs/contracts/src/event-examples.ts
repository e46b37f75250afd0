import type { EventData, EventType } from './event-catalogue';

// One valid payload per event type. They illustrate the AsyncAPI messages and anchor the tests; being
// typed by EventData, they also fail to compile when an event's shape changes.

const REFERRAL_ID = '3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f';
const OFFER_ID = 'a8d4e2f0-1b3c-4d5e-8f60-718293a4b5c6';
const SERVICE_ID = '5b6c7d8e-9f00-4a1b-8c2d-3e4f5a6b7c8d';
const ORGANISATION_ID = 'c0ffee00-1234-4abc-9def-0123456789ab';
const CONSENT_ID = 'e7f8a9b0-c1d2-4e3f-a4b5-c6d7e8f9a0b1';
const PERSON_KEY = '9c1185a5c5e9fc54612808977ee8f548b2258d31a2c0cbd4d4c2b5fb1c7e4f7d';
const ICS_PERSON_KEY = '4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a';
const AT = '2025-03-03T10:15:00Z';

const offer = {
  offerId: OFFER_ID,
  referralId: REFERRAL_ID,
  serviceId: SERVICE_ID,
  organisationId: ORGANISATION_ID,
  pcnCode: 'U12345',
};

/** A valid example payload for every event type (ids are made up; the person key is not a real HMAC). */
export const EVENT_EXAMPLES: { readonly [T in EventType]: EventData<T> } = {
  'referral.received.v1': {
    referralId: REFERRAL_ID,
    personKey: PERSON_KEY,
    pcnCode: 'U12345',
    practiceCode: 'P88001',
    needs: ['loneliness', 'money'],
    ageBand: '65-74',
    postcodeDistrict: 'LS6',
    preferredLanguage: 'en',
    accessibilityNeeds: ['wheelchair'],
    source: 'api',
    receivedAt: AT,
  },
  'referral.assessed.v1': {
    referralId: REFERRAL_ID,
    pcnCode: 'U12345',
    needs: ['loneliness'],
    autoOffer: false,
    urgent: false,
    assessedAt: AT,
  },
  'referral.status-changed.v1': {
    referralId: REFERRAL_ID,
    pcnCode: 'U12345',
    practiceCode: 'P88001',
    from: 'awaiting-assessment',
    to: 'matching',
    responsibleParty: 'link-worker',
    changedAt: AT,
  },
  'referral.closed.v1': { referralId: REFERRAL_ID, pcnCode: 'U12345', reason: 'no-contact', closedAt: AT },
  'consent.granted.v1': {
    consentId: CONSENT_ID,
    referralId: REFERRAL_ID,
    pcnCode: 'U12345',
    method: 'verbal',
    shareWithVcso: true,
    recordedAt: AT,
  },
  'consent.declined.v1': {
    consentId: CONSENT_ID,
    referralId: REFERRAL_ID,
    pcnCode: 'U12345',
    method: 'written',
    recordedAt: AT,
  },
  'consent.withdrawn.v1': {
    consentId: CONSENT_ID,
    referralId: REFERRAL_ID,
    pcnCode: 'U12345',
    withdrawnAt: AT,
  },
  'offer.made.v1': { ...offer, auto: false, expiresAt: '2025-03-10T10:15:00Z', madeAt: AT },
  'offer.accepted.v1': { ...offer, at: AT },
  'offer.declined.v1': { ...offer, reason: 'no-capacity', at: AT },
  'offer.expired.v1': { ...offer, at: AT },
  'offer.cancelled.v1': { ...offer, reason: 'consent-withdrawn', at: AT },
  'offer.completed.v1': { ...offer, outcome: 'completed', at: AT },
  'referral.waitlisted.v1': {
    referralId: REFERRAL_ID,
    pcnCode: 'U12345',
    needs: ['housing'],
    postcodeDistrict: 'LS6',
    waitlistedAt: AT,
  },
  'need.unmet.v1': {
    referralId: REFERRAL_ID,
    pcnCode: 'U12345',
    needs: ['housing'],
    postcodeDistrict: 'LS6',
    reason: 'no-suitable-service',
    at: AT,
  },
  'capacity.updated.v1': {
    serviceId: SERVICE_ID,
    organisationId: ORGANISATION_ID,
    maxActive: 20,
    weeklyIntake: 5,
    active: 12,
    reserved: 2,
    offersThisWeek: 3,
    status: 'open',
    reason: 'offer-reserved',
    changedAt: AT,
  },
  'service.throttled.v1': {
    serviceId: SERVICE_ID,
    organisationId: ORGANISATION_ID,
    status: 'paused',
    at: AT,
  },
  'service.reopened.v1': { serviceId: SERVICE_ID, organisationId: ORGANISATION_ID, at: AT },
  'capacity.alert-raised.v1': {
    serviceId: SERVICE_ID,
    organisationId: ORGANISATION_ID,
    status: 'full',
    sinceAt: '2025-02-24T09:00:00Z',
    at: AT,
  },
  'service.registered.v1': {
    serviceId: SERVICE_ID,
    organisationId: ORGANISATION_ID,
    icsCode: 'QWO',
    needs: ['loneliness', 'physical-activity'],
    postcodeDistrict: 'LS6',
    locationKnown: true,
    lat: 53.82,
    lon: -1.579,
    radiusKm: 10,
    minAge: 18,
    languages: ['en', 'pl'],
    accessibility: ['step-free'],
    mode: 'in-person',
    maxActive: 20,
    weeklyIntake: 5,
    registeredAt: AT,
  },
  'analytics.status-changed.v1': {
    personKey: ICS_PERSON_KEY,
    icsCode: 'QWO',
    pcnCode: 'U12345',
    practiceCode: 'P88001',
    ageBand: '65-74',
    postcodeDistrict: 'LS6',
    needs: ['loneliness', 'money'],
    from: 'awaiting-assessment',
    to: 'matching',
    at: AT,
  },
  'analytics.load-changed.v1': {
    serviceId: SERVICE_ID,
    organisationId: ORGANISATION_ID,
    icsCode: 'QWO',
    active: 12,
    reserved: 2,
    maxActive: 20,
    utilisation: 0.7,
    status: 'open',
    at: AT,
  },
};
