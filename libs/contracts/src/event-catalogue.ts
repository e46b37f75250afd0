import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { CloudEvent } from './cloud-event';
import {
  ANALYTICS_LOAD_CHANGED_V1,
  ANALYTICS_OUTCOME_RECORDED_V1,
  ANALYTICS_STATUS_CHANGED_V1,
  AnalyticsLoadChangedV1,
  AnalyticsOutcomeRecordedV1,
  AnalyticsStatusChangedV1,
  CAPACITY_ALERT_RAISED_V1,
  CAPACITY_UPDATED_V1,
  CONSENT_DECLINED_V1,
  CONSENT_GRANTED_V1,
  CONSENT_WITHDRAWN_V1,
  CapacityAlertRaisedV1,
  CapacityUpdatedV1,
  ConsentDeclinedV1,
  ConsentGrantedV1,
  ConsentWithdrawnV1,
  NEED_UNMET_V1,
  NeedUnmetV1,
  OFFER_ACCEPTED_V1,
  OFFER_CANCELLED_V1,
  OFFER_COMPLETED_V1,
  OFFER_DECLINED_V1,
  OFFER_EXPIRED_V1,
  OFFER_MADE_V1,
  OfferAcceptedV1,
  OfferCancelledV1,
  OfferCompletedV1,
  OfferDeclinedV1,
  OfferExpiredV1,
  OfferMadeV1,
  OUTCOME_RECORDED_V1,
  OutcomeRecordedV1,
  PCN_REGISTERED_V1,
  PcnRegisteredV1,
  REFERRAL_ASSESSED_V1,
  REFERRAL_CLOSED_V1,
  REFERRAL_RECEIVED_V1,
  REFERRAL_STATUS_CHANGED_V1,
  REFERRAL_WAITLISTED_V1,
  ReferralAssessedV1,
  ReferralClosedV1,
  ReferralReceivedV1,
  ReferralStatusChangedV1,
  ReferralWaitlistedV1,
  SERVICE_REGISTERED_V1,
  SERVICE_REOPENED_V1,
  SERVICE_THROTTLED_V1,
  ServiceRegisteredV1,
  ServiceReopenedV1,
  ServiceThrottledV1,
} from './events';
import { Topics, type TopicName } from './topic-registry';

/** What the platform knows about one event type. */
export interface EventDefinition<T extends string = string, C extends new () => object = new () => object> {
  readonly type: T;
  readonly topic: TopicName;
  /** class-validator class describing `data`; also the source of the JSON Schema. */
  readonly dataClass: C;
  /** The field of `data` holding the aggregate id: the CloudEvent subject and the Kafka key. */
  readonly subjectField: string;
  readonly description: string;
  /** Always false: no event carries personal data (CONTRACT.md invariant 1). */
  readonly personal: false;
}

function define<T extends string, C extends new () => object>(
  type: T,
  topic: TopicName,
  dataClass: C,
  subjectField: keyof InstanceType<C> & string,
  description: string,
): EventDefinition<T, C> {
  return Object.freeze({ type, topic, dataClass, subjectField, description, personal: false as const });
}

const DEFINITIONS = {
  [REFERRAL_RECEIVED_V1]: define(
    REFERRAL_RECEIVED_V1,
    Topics.Referral,
    ReferralReceivedV1,
    'referralId',
    'A referral was accepted by intake (de-identified: person key, age band, postcode district).',
  ),
  [REFERRAL_ASSESSED_V1]: define(
    REFERRAL_ASSESSED_V1,
    Topics.Referral,
    ReferralAssessedV1,
    'referralId',
    'The link worker assessed the person; the referral moves to matching.',
  ),
  [REFERRAL_STATUS_CHANGED_V1]: define(
    REFERRAL_STATUS_CHANGED_V1,
    Topics.Referral,
    ReferralStatusChangedV1,
    'referralId',
    "A referral's status or responsible party changed.",
  ),
  [REFERRAL_CLOSED_V1]: define(
    REFERRAL_CLOSED_V1,
    Topics.Referral,
    ReferralClosedV1,
    'referralId',
    'A referral was closed, with its reason.',
  ),
  [OUTCOME_RECORDED_V1]: define(
    OUTCOME_RECORDED_V1,
    Topics.Referral,
    OutcomeRecordedV1,
    'referralId',
    'A wellbeing measure (ONS4 or SWEMWBS) was recorded for a referral, at baseline or follow-up.',
  ),
  [PCN_REGISTERED_V1]: define(
    PCN_REGISTERED_V1,
    Topics.Referral,
    PcnRegisteredV1,
    'pcnCode',
    'A PCN was registered or changed: its ICS, practices (code and district) and settings; the latest wins.',
  ),
  [CONSENT_GRANTED_V1]: define(
    CONSENT_GRANTED_V1,
    Topics.Consent,
    ConsentGrantedV1,
    'referralId',
    'The person consented; shareWithVcso says whether a VCSO may see their contact details.',
  ),
  [CONSENT_DECLINED_V1]: define(
    CONSENT_DECLINED_V1,
    Topics.Consent,
    ConsentDeclinedV1,
    'referralId',
    'The person declined consent.',
  ),
  [CONSENT_WITHDRAWN_V1]: define(
    CONSENT_WITHDRAWN_V1,
    Topics.Consent,
    ConsentWithdrawnV1,
    'referralId',
    'The person withdrew consent: open offers are cancelled and sharing stops.',
  ),
  [OFFER_MADE_V1]: define(
    OFFER_MADE_V1,
    Topics.Matching,
    OfferMadeV1,
    'referralId',
    'A place at a VCSO service was offered and reserved.',
  ),
  [OFFER_ACCEPTED_V1]: define(
    OFFER_ACCEPTED_V1,
    Topics.Matching,
    OfferAcceptedV1,
    'referralId',
    'The VCSO accepted the person; the duty of care passes to it.',
  ),
  [OFFER_DECLINED_V1]: define(
    OFFER_DECLINED_V1,
    Topics.Matching,
    OfferDeclinedV1,
    'referralId',
    'The VCSO declined; the place is released and the link worker is responsible again.',
  ),
  [OFFER_EXPIRED_V1]: define(
    OFFER_EXPIRED_V1,
    Topics.Matching,
    OfferExpiredV1,
    'referralId',
    'The offer lapsed unanswered; the place is released.',
  ),
  [OFFER_CANCELLED_V1]: define(
    OFFER_CANCELLED_V1,
    Topics.Matching,
    OfferCancelledV1,
    'referralId',
    'The platform cancelled an open offer; the place is released.',
  ),
  [OFFER_COMPLETED_V1]: define(
    OFFER_COMPLETED_V1,
    Topics.Matching,
    OfferCompletedV1,
    'referralId',
    'The VCSO recorded how the placement ended (completed or did not attend).',
  ),
  [REFERRAL_WAITLISTED_V1]: define(
    REFERRAL_WAITLISTED_V1,
    Topics.Matching,
    ReferralWaitlistedV1,
    'referralId',
    'No suitable service had room; the referral waits for capacity.',
  ),
  [NEED_UNMET_V1]: define(
    NEED_UNMET_V1,
    Topics.Matching,
    NeedUnmetV1,
    'referralId',
    'Needs that could not be placed, by postcode district.',
  ),
  [CAPACITY_UPDATED_V1]: define(
    CAPACITY_UPDATED_V1,
    Topics.Capacity,
    CapacityUpdatedV1,
    'serviceId',
    "A service's limits, load or status changed (full current picture).",
  ),
  [SERVICE_THROTTLED_V1]: define(
    SERVICE_THROTTLED_V1,
    Topics.Capacity,
    ServiceThrottledV1,
    'serviceId',
    'A service became limited, full or paused.',
  ),
  [SERVICE_REOPENED_V1]: define(
    SERVICE_REOPENED_V1,
    Topics.Capacity,
    ServiceReopenedV1,
    'serviceId',
    'A throttled service is open again.',
  ),
  [CAPACITY_ALERT_RAISED_V1]: define(
    CAPACITY_ALERT_RAISED_V1,
    Topics.Capacity,
    CapacityAlertRaisedV1,
    'serviceId',
    'A service has stayed throttled long enough to need attention.',
  ),
  [SERVICE_REGISTERED_V1]: define(
    SERVICE_REGISTERED_V1,
    Topics.Capacity,
    ServiceRegisteredV1,
    'serviceId',
    'A VCSO service joined the directory, with the settings matching needs (no contact details).',
  ),
  [ANALYTICS_STATUS_CHANGED_V1]: define(
    ANALYTICS_STATUS_CHANGED_V1,
    Topics.Analytics,
    AnalyticsStatusChangedV1,
    'personKey',
    'De-identified referral status change for ICS dashboards (per-ICS person key, no referral id).',
  ),
  [ANALYTICS_LOAD_CHANGED_V1]: define(
    ANALYTICS_LOAD_CHANGED_V1,
    Topics.Analytics,
    AnalyticsLoadChangedV1,
    'serviceId',
    "A VCSO service's load, for ICS load monitoring.",
  ),
  [ANALYTICS_OUTCOME_RECORDED_V1]: define(
    ANALYTICS_OUTCOME_RECORDED_V1,
    Topics.Analytics,
    AnalyticsOutcomeRecordedV1,
    'personKey',
    'De-identified wellbeing outcome for ICS dashboards (per-ICS person key, no referral id).',
  ),
};

/** Every event type the platform publishes. */
export type EventType = keyof typeof DEFINITIONS;

/**
 * The event catalogue: one entry per event type, naming its topic, data class and key. Adding an event
 * means adding a class under `events/` and an entry here; the AsyncAPI file follows from it.
 */
export const EVENT_CATALOGUE: { readonly [T in EventType]: (typeof DEFINITIONS)[T] } =
  Object.freeze(DEFINITIONS);

/** All event types, sorted. */
export const EVENT_TYPES: readonly EventType[] = Object.freeze(
  (Object.keys(DEFINITIONS) as EventType[]).sort(),
);

/** The shape of `data` for event type `T`. */
export type EventData<T extends EventType> = InstanceType<(typeof DEFINITIONS)[T]['dataClass']>;

export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(DEFINITIONS, type);
}

/** The topic an event type is published on; throws for a type not in the catalogue. */
export function eventTopic(type: string): TopicName {
  if (!isEventType(type))
    throw new Error(`unknown event type "${type}": not in the contracts' EVENT_CATALOGUE`);
  return EVENT_CATALOGUE[type].topic;
}

function problemsOf(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = `${prefix}${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      // Nested messages name only the leaf property; give them the full path.
      prefix && message.startsWith(`${error.property} `)
        ? `${path}${message.slice(error.property.length)}`
        : prefix && message === `property ${error.property} should not exist`
          ? `property ${path} should not exist`
          : message,
    );
    return [...own, ...problemsOf(error.children ?? [], `${path}.`)];
  });
}

/**
 * Human-readable problems with `data` as the payload of `type`; empty when valid. Unknown fields are
 * problems too, so nothing the contract does not name (a name, a note...) can ride along.
 */
export function validateEventData(type: string, data: unknown): string[] {
  if (!isEventType(type)) return [`unknown event type "${type}"`];
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return ['data must be a JSON object'];
  const instance = plainToInstance(EVENT_CATALOGUE[type].dataClass as new () => object, data);
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  return problemsOf(errors).sort();
}

/**
 * Problems with a whole event: its type is known, its data valid, and its subject is the aggregate id
 * the catalogue names (so the Kafka key matches the data). Empty when valid.
 */
export function validateEvent(ev: CloudEvent): string[] {
  const problems = validateEventData(ev.type, ev.data);
  if (problems.length > 0 || !isEventType(ev.type)) return problems;
  const field = EVENT_CATALOGUE[ev.type].subjectField;
  const expected = (ev.data as Record<string, unknown>)[field];
  return expected === ev.subject ? [] : [`subject must equal data.${field}`];
}

/** Thrown by makeEvent when data does not match its event type. */
export class EventDataError extends Error {
  constructor(
    readonly type: string,
    readonly problems: string[],
  ) {
    super(`invalid ${type} data: ${problems.join('; ')}`);
    this.name = 'EventDataError';
  }
}

/**
 * Builds a validated event, taking the subject from the catalogue's subjectField. Throws EventDataError
 * rather than let a bad or over-full payload reach a topic.
 */
export function makeEvent<T extends EventType>(
  type: T,
  data: EventData<T>,
  options: { id: string; source: string; time?: string },
): CloudEvent<EventData<T>> {
  const problems = validateEventData(type, data);
  if (problems.length > 0) throw new EventDataError(type, problems);
  const subject = (data as unknown as Record<string, unknown>)[EVENT_CATALOGUE[type].subjectField];
  return {
    id: options.id,
    type,
    source: options.source,
    specversion: '1.0',
    time: options.time ?? new Date().toISOString(),
    subject: String(subject),
    datacontenttype: 'application/json',
    data,
  };
}
