import { ALL_TOPICS, dlqTopic, isTopicName, Topics } from './topic-registry';

describe('topic registry', () => {
  it('names the five v1 topics of the contract', () => {
    expect(Topics).toEqual({
      Referral: 'sp.referral.events.v1',
      Consent: 'sp.consent.events.v1',
      Matching: 'sp.matching.events.v1',
      Capacity: 'sp.capacity.events.v1',
      Analytics: 'sp.analytics.events.v1',
    });
    expect(ALL_TOPICS).toEqual(Object.values(Topics));
  });

  it('puts dead letters on <topic>.dlq', () => {
    expect(dlqTopic(Topics.Referral)).toBe('sp.referral.events.v1.dlq');
  });

  it('tells topics from other strings', () => {
    expect(isTopicName('sp.consent.events.v1')).toBe(true);
    expect(isTopicName('sp.consent.events.v1.dlq')).toBe(false);
  });
});
