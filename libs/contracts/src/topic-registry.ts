/**
 * Every Kafka topic of the platform. Each is keyed by its aggregate id (see the event catalogue's
 * `subjectField`) so that one referral's, or one service's, events stay in order.
 */
export const Topics = {
  Referral: 'sp.referral.events.v1',
  Consent: 'sp.consent.events.v1',
  Matching: 'sp.matching.events.v1',
  Capacity: 'sp.capacity.events.v1',
  Analytics: 'sp.analytics.events.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/** All topics, in declaration order. */
export const ALL_TOPICS: readonly TopicName[] = Object.freeze(Object.values(Topics));

/** The dead-letter topic for `topic`: where messages that can never be processed go. */
export function dlqTopic(topic: string): string {
  return `${topic}.dlq`;
}

/** Header a dead-lettered message carries, saying why it could not be processed. */
export const DLQ_REASON_HEADER = 'dlq_reason';

export function isTopicName(value: string): value is TopicName {
  return (ALL_TOPICS as readonly string[]).includes(value);
}
