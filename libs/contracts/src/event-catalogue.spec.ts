import { getMetadataStorage } from 'class-validator';
import { fromKafkaMessage, toKafkaMessage } from './cloud-event';
import { NEED_CODES } from './codes';
import {
  EVENT_CATALOGUE,
  EVENT_TYPES,
  EventDataError,
  eventTopic,
  isEventType,
  makeEvent,
  validateEvent,
  validateEventData,
} from './event-catalogue';
import { EVENT_EXAMPLES } from './event-examples';
import { ALL_TOPICS } from './topic-registry';

function propertiesOf(dataClass: new () => object): string[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(dataClass, '', true, false);
  return [...new Set(metas.map((m) => m.propertyName))].sort();
}

function example(
  type: keyof typeof EVENT_EXAMPLES,
  changes: Record<string, unknown> = {},
): Record<string, unknown> {
  const data: Record<string, unknown> = { ...EVENT_EXAMPLES[type], ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete data[key];
  return data;
}

describe('event catalogue', () => {
  it('holds the 25 v1 event types, each under its own type', () => {
    expect(EVENT_TYPES).toHaveLength(25);
    for (const type of EVENT_TYPES) {
      expect(EVENT_CATALOGUE[type].type).toBe(type);
      expect(type).toMatch(/^[a-z]+(-[a-z]+)*\.[a-z]+(-[a-z]+)*\.v1$/);
    }
  });

  it.each(EVENT_TYPES)('%s has a registered topic and a subject field its class declares', (type) => {
    const entry = EVENT_CATALOGUE[type];
    expect(ALL_TOPICS).toContain(entry.topic);
    expect(propertiesOf(entry.dataClass)).toContain(entry.subjectField);
    expect(entry.personal).toBe(false);
    expect(entry.description.length).toBeGreaterThan(10);
  });

  it('gives every event its own class name (the AsyncAPI schemas are named by class)', () => {
    const names = EVENT_TYPES.map((type) => EVENT_CATALOGUE[type].dataClass.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('routes types to topics and refuses unknown types', () => {
    expect(eventTopic('referral.received.v1')).toBe('sp.referral.events.v1');
    expect(eventTopic('consent.withdrawn.v1')).toBe('sp.consent.events.v1');
    expect(eventTopic('offer.made.v1')).toBe('sp.matching.events.v1');
    expect(eventTopic('capacity.updated.v1')).toBe('sp.capacity.events.v1');
    expect(eventTopic('analytics.load-changed.v1')).toBe('sp.analytics.events.v1');
    expect(() => eventTopic('referral.received.v2')).toThrow('unknown event type "referral.received.v2"');
    expect(isEventType('toString')).toBe(false);
  });

  it('keys one referral, one service, or one PCN, to one partition', () => {
    const keys = EVENT_TYPES.map(
      (type) => `${EVENT_CATALOGUE[type].topic} ${EVENT_CATALOGUE[type].subjectField}`,
    );
    expect(new Set(keys)).toEqual(
      new Set([
        'sp.referral.events.v1 referralId',
        'sp.referral.events.v1 pcnCode',
        'sp.consent.events.v1 referralId',
        'sp.matching.events.v1 referralId',
        'sp.capacity.events.v1 serviceId',
        'sp.analytics.events.v1 personKey',
        'sp.analytics.events.v1 serviceId',
      ]),
    );
  });
});

describe('validateEventData', () => {
  it('validates the practices and settings nested in pcn.registered.v1, closed like the payload', () => {
    const problems = validateEventData(
      'pcn.registered.v1',
      example('pcn.registered.v1', {
        name: 'Riverside\nPCN',
        practices: [{ code: 'P88001', postcodeDistrict: 'LS6 1AA', name: 'Riverside Surgery' }, []],
        settings: { offerExpiryDays: 0 },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'name must be one line of text',
        'practices.0.postcodeDistrict must be a postcode district in capitals (e.g. SW1A), never a full postcode',
        'property practices.0.name should not exist',
        'each of practices must be an object',
        'settings.offerExpiryDays must be at least 1',
        'settings.autoOffer must be true or false',
      ]),
    );
    expect(validateEventData('pcn.registered.v1', example('pcn.registered.v1', { practices: [] }))).toEqual([
      'practices must have at least 1 item(s)',
    ]);
  });

  it.each(EVENT_TYPES)('accepts the example %s', (type) => {
    expect(validateEventData(type, EVENT_EXAMPLES[type])).toEqual([]);
  });

  it.each(EVENT_TYPES)('refuses %s with a field the contract does not name', (type) => {
    expect(validateEventData(type, example(type, { nhsNumber: '9990000018' }))).toEqual([
      'property nhsNumber should not exist',
    ]);
  });

  it.each(EVENT_TYPES)('refuses %s without its subject field', (type) => {
    const field = EVENT_CATALOGUE[type].subjectField;
    const problems = validateEventData(type, example(type, { [field]: undefined }));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.startsWith(field))).toBe(true);
  });

  it('reports one problem for an unknown type', () => {
    expect(validateEventData('referral.teleported.v1', {})).toEqual([
      'unknown event type "referral.teleported.v1"',
    ]);
  });

  it('refuses data that is not an object', () => {
    for (const data of [null, 'x', 42, [EVENT_EXAMPLES['referral.closed.v1']]]) {
      expect(validateEventData('referral.closed.v1', data)).toEqual(['data must be a JSON object']);
    }
  });

  it('names each bad field of referral.received.v1', () => {
    const problems = validateEventData(
      'referral.received.v1',
      example('referral.received.v1', {
        referralId: 'R-1',
        personKey: '9990000018',
        pcnCode: 'P12345',
        practiceCode: 'p88001',
        needs: ['gardening'],
        ageBand: '30',
        postcodeDistrict: 'LS6 1AA',
        preferredLanguage: 'eng',
        accessibilityNeeds: ['Needs a ramp, ask for Mary'],
        source: 'email',
        receivedAt: '2025-02-30T10:00:00Z',
      }),
    );
    const fields = problems.map((p) => p.split(' ')[0]);
    expect(fields).toEqual(
      expect.arrayContaining([
        'referralId',
        'personKey',
        'pcnCode',
        'practiceCode',
        'ageBand',
        'postcodeDistrict',
        'preferredLanguage',
        'source',
        'receivedAt',
      ]),
    );
    expect(problems).toContain(`each of needs must be one of: ${NEED_CODES.join(', ')}`);
    expect(problems).toContain('each of accessibilityNeeds must be a short kebab-case code');
    // Problems are logged: they must never echo what was sent.
    expect(problems.join(' ')).not.toMatch(/9990000018|Mary|LS6 1AA/);
  });

  it('requires at least one need, without repeats', () => {
    expect(validateEventData('referral.assessed.v1', example('referral.assessed.v1', { needs: [] }))).toEqual(
      ['needs must have at least 1 item(s)'],
    );
    expect(
      validateEventData(
        'referral.assessed.v1',
        example('referral.assessed.v1', { needs: ['money', 'money'] }),
      ),
    ).toEqual(['needs must not repeat a code']);
    expect(
      validateEventData('referral.assessed.v1', example('referral.assessed.v1', { needs: 'money' })),
    ).toContain('needs must be an array');
  });

  it('refuses codes outside their lists', () => {
    expect(
      validateEventData('referral.status-changed.v1', example('referral.status-changed.v1', { to: 'lost' })),
    ).toEqual([expect.stringMatching(/^to must be one of: awaiting-consent, /)]);
    expect(validateEventData('offer.declined.v1', example('offer.declined.v1', { reason: 'busy' }))).toEqual([
      'reason must be one of: no-capacity, not-suitable, person-unreachable, other',
    ]);
    expect(
      validateEventData('offer.cancelled.v1', example('offer.cancelled.v1', { reason: 'no-capacity' })),
    ).toEqual(['reason must be one of: consent-withdrawn, referral-closed, other']);
    expect(
      validateEventData('offer.completed.v1', example('offer.completed.v1', { outcome: 'accepted' })),
    ).toEqual(['outcome must be one of: completed, did-not-attend']);
    expect(
      validateEventData('consent.granted.v1', example('consent.granted.v1', { method: 'telepathy' })),
    ).toEqual(['method must be one of: verbal, written, digital']);
  });

  it('refuses free text where a capacity reason code belongs', () => {
    const problems = validateEventData(
      'capacity.updated.v1',
      example('capacity.updated.v1', { reason: 'Volunteer off sick until Tuesday' }),
    );
    expect(problems).toEqual([expect.stringMatching(/^reason must be one of: coordinator-paused, /)]);
  });

  it('checks counts and ratios without coercing strings', () => {
    const problems = validateEventData(
      'capacity.updated.v1',
      example('capacity.updated.v1', { maxActive: -1, weeklyIntake: 2.5, active: '3' }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'maxActive must not be negative',
        'weeklyIntake must be a whole number',
        'active must be a whole number',
      ]),
    );
    expect(
      validateEventData(
        'analytics.load-changed.v1',
        example('analytics.load-changed.v1', { utilisation: Infinity }),
      ),
    ).toEqual(['utilisation must be a finite number']);
    expect(
      validateEventData(
        'analytics.load-changed.v1',
        example('analytics.load-changed.v1', { utilisation: 1.25 }),
      ),
    ).toEqual([]);
  });

  it('treats optional fields as absent-or-valid, never null', () => {
    expect(
      validateEventData('capacity.updated.v1', example('capacity.updated.v1', { reason: undefined })),
    ).toEqual([]);
    expect(
      validateEventData('capacity.updated.v1', example('capacity.updated.v1', { pausedUntil: null })),
    ).toEqual(['pausedUntil must be an RFC 3339 date-time (e.g. 2025-01-31T09:00:00Z)']);
    expect(
      validateEventData('referral.received.v1', example('referral.received.v1', { linkedReferralId: 'dup' })),
    ).toEqual(['linkedReferralId must be a UUID']);
  });

  it('refuses booleans given as strings', () => {
    expect(
      validateEventData('consent.granted.v1', example('consent.granted.v1', { shareWithVcso: 'yes' })),
    ).toEqual(['shareWithVcso must be true or false']);
  });

  it('refuses analytics data that is not de-identified', () => {
    const problems = validateEventData(
      'analytics.status-changed.v1',
      example('analytics.status-changed.v1', { referralId: EVENT_EXAMPLES['referral.closed.v1'].referralId }),
    );
    expect(problems).toEqual(['property referralId should not exist']);
  });
});

describe('makeEvent and validateEvent', () => {
  it.each(EVENT_TYPES)('builds %s keyed by its subject field and survives Kafka', (type) => {
    const ev = makeEvent(type, EVENT_EXAMPLES[type], {
      id: '0b8f3a2e-5c4d-4e6f-9a7b-1c2d3e4f5a6b',
      source: '/services/test',
      time: '2025-03-03T10:15:00Z',
    });
    const field = EVENT_CATALOGUE[type].subjectField;
    expect(ev.subject).toBe((EVENT_EXAMPLES[type] as unknown as Record<string, unknown>)[field]);
    const back = fromKafkaMessage(toKafkaMessage(ev));
    expect(back).toEqual(ev);
    expect(validateEvent(back)).toEqual([]);
  });

  it('refuses to build an event from bad data', () => {
    const bad = { ...EVENT_EXAMPLES['referral.closed.v1'], reason: 'bored' } as never;
    expect(() => makeEvent('referral.closed.v1', bad, { id: 'e-1', source: '/services/test' })).toThrow(
      EventDataError,
    );
  });

  it('stamps the time when none is given', () => {
    const ev = makeEvent('service.reopened.v1', EVENT_EXAMPLES['service.reopened.v1'], {
      id: 'e-1',
      source: '/services/test',
    });
    expect(Date.parse(ev.time)).not.toBeNaN();
  });

  it('finds a subject that is not the aggregate id', () => {
    const ev = makeEvent('offer.made.v1', EVENT_EXAMPLES['offer.made.v1'], {
      id: 'e-1',
      source: '/services/test',
    });
    expect(validateEvent({ ...ev, subject: ev.data.offerId })).toEqual([
      'subject must equal data.referralId',
    ]);
    expect(validateEvent({ ...ev, type: 'offer.vanished.v1' })).toEqual([
      'unknown event type "offer.vanished.v1"',
    ]);
  });
});
