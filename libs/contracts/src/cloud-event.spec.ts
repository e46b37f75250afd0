import {
  CE_HEADERS,
  type CloudEvent,
  EnvelopeError,
  fromKafkaMessage,
  type KafkaIncomingMessage,
  toKafkaMessage,
} from './cloud-event';
import { isRfc3339DateTime } from './rfc3339';

const event: CloudEvent<{ referralId: string; needs: string[] }> = {
  id: '0b8f3a2e-5c4d-4e6f-9a7b-1c2d3e4f5a6b',
  type: 'referral.assessed.v1',
  source: '/services/referral-intake',
  specversion: '1.0',
  time: '2025-03-03T10:15:00.123Z',
  subject: '3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f',
  datacontenttype: 'application/json',
  data: { referralId: '3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f', needs: ['money'] },
};

/** The message as kafkajs delivers it: everything in Buffers. */
function delivered(overrides: Partial<KafkaIncomingMessage> = {}): KafkaIncomingMessage {
  const msg = toKafkaMessage(event);
  return {
    key: Buffer.from(msg.key),
    value: Buffer.from(msg.value),
    headers: Object.fromEntries(Object.entries(msg.headers).map(([k, v]) => [k, Buffer.from(v)])),
    ...overrides,
  };
}

function withHeaders(change: (h: Record<string, Buffer | string | (Buffer | string)[] | undefined>) => void) {
  const msg = delivered();
  const headers = { ...msg.headers };
  change(headers);
  return { ...msg, headers };
}

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof EnvelopeError) return err.reason;
    throw err;
  }
  throw new Error('expected an EnvelopeError');
}

describe('toKafkaMessage', () => {
  it('puts attributes in ce_ headers, data in the body and the subject in the key', () => {
    const msg = toKafkaMessage(event);
    expect(msg.key).toBe(event.subject);
    expect(JSON.parse(msg.value)).toEqual(event.data);
    expect(msg.headers).toEqual({
      ce_id: event.id,
      ce_type: event.type,
      ce_source: event.source,
      ce_specversion: '1.0',
      ce_time: event.time,
      ce_subject: event.subject,
      'content-type': 'application/json',
    });
    expect(Object.values(CE_HEADERS).sort()).toEqual(Object.keys(msg.headers).sort());
  });

  it('refuses to produce an envelope it would itself reject', () => {
    expect(reasonOf(() => toKafkaMessage({ ...event, subject: '' }))).toBe('empty subject (ce_subject)');
    expect(reasonOf(() => toKafkaMessage({ ...event, time: 'yesterday' }))).toBe(
      'ce_time "yesterday" is not an RFC 3339 date-time',
    );
    expect(reasonOf(() => toKafkaMessage({ ...event, data: undefined }))).toBe(
      'data is not serialisable as JSON',
    );
  });
});

describe('fromKafkaMessage', () => {
  it('round-trips an event through Buffers', () => {
    expect(fromKafkaMessage(delivered())).toEqual(event);
  });

  it('accepts string keys, values and headers too', () => {
    const msg = toKafkaMessage(event);
    expect(fromKafkaMessage(msg)).toEqual(event);
  });

  it.each(['ce_id', 'ce_type', 'ce_source', 'ce_specversion', 'ce_time', 'ce_subject'])(
    'names a missing %s header',
    (name) => {
      const msg = withHeaders((h) => delete h[name]);
      expect(reasonOf(() => fromKafkaMessage(msg))).toBe(`missing header ${name}`);
    },
  );

  it('treats a message without headers as missing ce_id first', () => {
    expect(reasonOf(() => fromKafkaMessage({ ...delivered(), headers: undefined }))).toBe(
      'missing header ce_id',
    );
  });

  it('names an empty header', () => {
    const msg = withHeaders((h) => (h.ce_source = Buffer.from('  ')));
    expect(reasonOf(() => fromKafkaMessage(msg))).toBe('empty header ce_source');
  });

  it('names a bad specversion', () => {
    const msg = withHeaders((h) => (h.ce_specversion = '0.3'));
    expect(reasonOf(() => fromKafkaMessage(msg))).toBe('unsupported ce_specversion "0.3" (expected "1.0")');
  });

  it.each([
    'not a time',
    '2025-03-03 10:15:00Z',
    '2025-03-03T10:15:00',
    '2025-02-30T10:15:00Z',
    '2025-03-03',
  ])('names an unparseable ce_time %p', (time) => {
    const msg = withHeaders((h) => (h.ce_time = time));
    expect(reasonOf(() => fromKafkaMessage(msg))).toBe(
      `ce_time ${JSON.stringify(time)} is not an RFC 3339 date-time`,
    );
  });

  it('names a body that is not JSON without quoting it', () => {
    const body = '{"nhsNumber": 9990001';
    const reason = reasonOf(() => fromKafkaMessage(delivered({ value: Buffer.from(body) })));
    expect(reason).toBe(`body is not valid JSON (${body.length} characters)`);
    expect(reason).not.toContain('999');
  });

  it('names a missing or empty body', () => {
    expect(reasonOf(() => fromKafkaMessage(delivered({ value: null })))).toBe('missing body');
    expect(reasonOf(() => fromKafkaMessage(delivered({ value: Buffer.alloc(0) })))).toBe('empty body');
  });

  it('requires the key to be the subject', () => {
    expect(reasonOf(() => fromKafkaMessage(delivered({ key: null })))).toBe(
      `missing key (expected the ce_subject "${event.subject}")`,
    );
    expect(reasonOf(() => fromKafkaMessage(delivered({ key: 'other' })))).toBe(
      `key "other" does not match ce_subject "${event.subject}"`,
    );
  });

  it('refuses a content type other than JSON, and accepts a missing one', () => {
    const xml = withHeaders((h) => (h['content-type'] = 'application/xml'));
    expect(reasonOf(() => fromKafkaMessage(xml))).toBe(
      'unsupported header content-type "application/xml" (expected "application/json")',
    );
    const charset = withHeaders((h) => (h['content-type'] = 'application/json; charset=utf-8'));
    expect(fromKafkaMessage(charset)).toEqual(event);
    const absent = withHeaders((h) => delete h['content-type']);
    expect(fromKafkaMessage(absent)).toEqual(event);
  });

  it('accepts a header repeated with the same value and refuses conflicting repeats', () => {
    const same = withHeaders((h) => (h.ce_id = [event.id, Buffer.from(event.id)]));
    expect(fromKafkaMessage(same).id).toBe(event.id);
    const conflicting = withHeaders((h) => (h.ce_id = [event.id, 'another-id']));
    expect(reasonOf(() => fromKafkaMessage(conflicting))).toBe(
      'header ce_id is repeated with different values',
    );
  });

  it('matches header names case-insensitively', () => {
    const msg = withHeaders((h) => {
      h.CE_TYPE = h.ce_type;
      delete h.ce_type;
    });
    expect(fromKafkaMessage(msg).type).toBe(event.type);
  });

  it('shortens long quoted values so reasons stay log-sized', () => {
    const msg = withHeaders((h) => (h.ce_time = 'x'.repeat(500)));
    expect(reasonOf(() => fromKafkaMessage(msg)).length).toBeLessThan(100);
  });

  it('is an Error whose message carries the reason', () => {
    const msg = withHeaders((h) => delete h.ce_type);
    expect(() => fromKafkaMessage(msg)).toThrow(new EnvelopeError('missing header ce_type'));
    expect(() => fromKafkaMessage(msg)).toThrow('invalid CloudEvent envelope: missing header ce_type');
  });
});

describe('isRfc3339DateTime', () => {
  it.each([
    '2025-03-03T10:15:00Z',
    '2025-03-03T10:15:00.123456Z',
    '2024-02-29T23:59:59+01:00',
    '2025-03-03t10:15:00z',
  ])('accepts %p', (value) => expect(isRfc3339DateTime(value)).toBe(true));

  it.each([
    '2025-13-01T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2025-03-03T24:00:00Z',
    '2025-03-03T10:15:00+25:00',
    1700000000,
  ])('refuses %p', (value) => expect(isRfc3339DateTime(value)).toBe(false));
});
