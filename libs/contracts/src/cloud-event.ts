import { isRfc3339DateTime } from './rfc3339';

/**
 * A CloudEvents 1.0 event as the platform uses it: every attribute required, JSON data, and `subject`
 * set to the aggregate id the topic is keyed by.
 */
export interface CloudEvent<T = unknown> {
  /** Unique per event; consumers de-duplicate on it. */
  id: string;
  /** Past tense and versioned, e.g. `referral.received.v1`. */
  type: string;
  /** The producing service, e.g. `/services/referral-intake`. */
  source: string;
  specversion: '1.0';
  /** RFC 3339 date-time of the change. */
  time: string;
  /** The aggregate id; also the Kafka message key. */
  subject: string;
  datacontenttype: 'application/json';
  data: T;
}

/** Kafka header names of the CloudEvents binary content mode. */
export const CE_HEADERS = {
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  specversion: 'ce_specversion',
  time: 'ce_time',
  subject: 'ce_subject',
  contentType: 'content-type',
} as const;

/** A message as the Kafka client sends it. */
export interface KafkaOutgoingMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** A message as the Kafka client delivers it (kafkajs shapes). */
export interface KafkaIncomingMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, HeaderValue>;
}

/** A message that is not a well-formed event envelope; `reason` says exactly what is wrong. */
export class EnvelopeError extends Error {
  constructor(readonly reason: string) {
    super(`invalid CloudEvent envelope: ${reason}`);
    this.name = 'EnvelopeError';
  }
}

const JSON_CONTENT_TYPE = 'application/json';

// Reasons end up in logs and DLQ headers, so quoted values are short and never the body.
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
}

function text(value: Buffer | string): string {
  return typeof value === 'string' ? value : value.toString('utf8');
}

// Header names are matched case-insensitively: some clients and proxies normalise case.
function header(headers: Record<string, HeaderValue>, name: string): string | undefined {
  const key =
    name in headers ? name : Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  const raw = key === undefined ? undefined : headers[key];
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) return text(raw);
  const values = [...new Set(raw.map(text))];
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new EnvelopeError(`header ${name} is repeated with different values`);
  return values[0];
}

function required(headers: Record<string, HeaderValue>, name: string): string {
  const value = header(headers, name);
  if (value === undefined) throw new EnvelopeError(`missing header ${name}`);
  if (value.trim() === '') throw new EnvelopeError(`empty header ${name}`);
  return value;
}

function checkContentType(value: string | undefined, where: string): void {
  // `application/json; charset=utf-8` is still JSON; any other media type is not ours.
  if (value !== undefined && value.split(';')[0].trim().toLowerCase() !== JSON_CONTENT_TYPE) {
    throw new EnvelopeError(`unsupported ${where} ${quote(value)} (expected "${JSON_CONTENT_TYPE}")`);
  }
}

function checkAttributes(ev: {
  id: string;
  type: string;
  source: string;
  specversion: string;
  time: string;
  subject: string;
}): void {
  for (const [attribute, headerName] of [
    ['id', CE_HEADERS.id],
    ['type', CE_HEADERS.type],
    ['source', CE_HEADERS.source],
    ['subject', CE_HEADERS.subject],
  ] as const) {
    const value: unknown = ev[attribute];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new EnvelopeError(`empty ${attribute} (${headerName})`);
    }
  }
  if (ev.specversion !== '1.0') {
    throw new EnvelopeError(
      `unsupported ${CE_HEADERS.specversion} ${quote(String(ev.specversion))} (expected "1.0")`,
    );
  }
  if (!isRfc3339DateTime(ev.time)) {
    throw new EnvelopeError(`${CE_HEADERS.time} ${quote(String(ev.time))} is not an RFC 3339 date-time`);
  }
}

/**
 * Binary content mode: attributes in `ce_*` headers, the body is the JSON of `data`, and the key is the
 * subject so that one aggregate's events stay in one partition, in order.
 */
export function toKafkaMessage(ev: CloudEvent): KafkaOutgoingMessage {
  checkAttributes(ev);
  checkContentType(ev.datacontenttype, 'datacontenttype');
  const value = JSON.stringify(ev.data);
  if (value === undefined) throw new EnvelopeError('data is not serialisable as JSON');
  return {
    key: ev.subject,
    value,
    headers: {
      [CE_HEADERS.id]: ev.id,
      [CE_HEADERS.type]: ev.type,
      [CE_HEADERS.source]: ev.source,
      [CE_HEADERS.specversion]: ev.specversion,
      [CE_HEADERS.time]: ev.time,
      [CE_HEADERS.subject]: ev.subject,
      [CE_HEADERS.contentType]: JSON_CONTENT_TYPE,
    },
  };
}

/**
 * Reads a binary-mode message back into an event. Throws EnvelopeError naming the first problem found;
 * such a message will never become valid, so a consumer dead-letters it rather than retrying. The
 * event's data is parsed JSON but not yet validated against its type (see validateEventData).
 */
export function fromKafkaMessage(msg: KafkaIncomingMessage): CloudEvent {
  const headers = msg.headers ?? {};
  const id = required(headers, CE_HEADERS.id);
  const type = required(headers, CE_HEADERS.type);
  const source = required(headers, CE_HEADERS.source);
  const specversion = required(headers, CE_HEADERS.specversion);
  const time = required(headers, CE_HEADERS.time);
  const subject = required(headers, CE_HEADERS.subject);
  checkAttributes({ id, type, source, specversion, time, subject });
  // CloudEvents makes the content type optional; absent means our default, JSON.
  checkContentType(header(headers, CE_HEADERS.contentType), `header ${CE_HEADERS.contentType}`);

  if (msg.key === null)
    throw new EnvelopeError(`missing key (expected the ${CE_HEADERS.subject} ${quote(subject)})`);
  const key = text(msg.key);
  if (key !== subject) {
    throw new EnvelopeError(`key ${quote(key)} does not match ${CE_HEADERS.subject} ${quote(subject)}`);
  }

  if (msg.value === null) throw new EnvelopeError('missing body');
  const body = text(msg.value);
  if (body.trim() === '') throw new EnvelopeError('empty body');
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    // The parser's message quotes the body, which may hold anything: say where, not what.
    throw new EnvelopeError(`body is not valid JSON (${body.length} characters)`);
  }

  return { id, type, source, specversion: '1.0', time, subject, datacontenttype: JSON_CONTENT_TYPE, data };
}
