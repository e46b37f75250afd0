import 'reflect-metadata';
import { getMetadataStorage, MAX, MIN } from 'class-validator';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { CE_HEADERS } from './cloud-event';
import { EVENT_CATALOGUE, EVENT_TYPES, type EventType } from './event-catalogue';
import { EVENT_EXAMPLES } from './event-examples';
import { RFC3339_CONSTRAINT } from './field-validators';
import { ALL_TOPICS, dlqTopic, DLQ_REASON_HEADER, Topics, type TopicName } from './topic-registry';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Bumped by hand when the description changes in a way readers should notice. */
export const ASYNCAPI_DOCUMENT_VERSION = '1.0.0';

const SCHEMAS = '#/components/schemas/';
const HEADERS_SCHEMA = 'CloudEventHeaders';
const DEAD_LETTER_MESSAGE = 'DeadLetter';
// 0.4.0 is the newest Kafka binding the AsyncAPI 3.0.0 JSON Schema knows.
const KAFKA_BINDING_VERSION = '0.4.0';

// Which service a message example names as ce_source. Illustration only: analytics.status-changed
// comes from intake because only intake holds the NHS number the per-ICS person key is made from.
const EXAMPLE_SOURCES: Record<EventType, string> = Object.fromEntries(
  EVENT_TYPES.map((type) => {
    const topic = EVENT_CATALOGUE[type].topic;
    const service =
      type === 'analytics.status-changed.v1'
        ? 'referral-intake'
        : type === 'analytics.load-changed.v1'
          ? 'vcso-capacity'
          : {
              'sp.referral.events.v1': 'referral-intake',
              'sp.consent.events.v1': 'consent',
              'sp.matching.events.v1': 'matching',
              'sp.capacity.events.v1': 'vcso-capacity',
              'sp.analytics.events.v1': 'commissioning-metrics',
            }[topic];
    return [type, `/services/${service}`];
  }),
) as Record<EventType, string>;

const TOPIC_SUMMARIES: Record<TopicName, string> = {
  'sp.referral.events.v1':
    'Referral intake, assessment, status, closure and wellbeing outcomes, and the PCNs referrals come through.',
  'sp.consent.events.v1': 'Consent granted, declined and withdrawn.',
  'sp.matching.events.v1': 'Offers to VCSO services, waitlisting and unmet need.',
  'sp.capacity.events.v1': 'VCSO service capacity, throttling and alerts.',
  'sp.analytics.events.v1':
    'The de-identified stream that ICS dashboards consume: no referral ids, a per-ICS person key. ' +
    'Every referral status change (the first included) appears once in effect as ' +
    'analytics.status-changed.v1, in order per person key; every capacity change as ' +
    'analytics.load-changed.v1, in order per service; every wellbeing outcome as ' +
    'analytics.outcome-recorded.v1. Status and outcome events are about single people: a dashboard ' +
    'publishing counts from them applies the small-number rule itself.',
};

function eventsOn(topic: TopicName): EventType[] {
  return EVENT_TYPES.filter((type) => EVENT_CATALOGUE[type].topic === topic);
}

/** The data field(s) a topic is keyed, and therefore ordered, by; with the events when they differ. */
function orderingKey(topic: TopicName): string {
  const byField = new Map<string, EventType[]>();
  for (const type of eventsOn(topic)) {
    const field = EVENT_CATALOGUE[type].subjectField;
    byField.set(field, [...(byField.get(field) ?? []), type]);
  }
  const fields = [...byField.keys()].sort();
  if (fields.length === 1) return fields[0];
  return fields.map((field) => `${field} (${(byField.get(field) ?? []).join(', ')})`).join(' or ');
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Recursively sorts object keys, and `required` lists, so the document is byte-stable. */
function canonical(value: Json): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) {
    const child = value[key];
    out[key] =
      key === 'required' && Array.isArray(child) && child.every((c) => typeof c === 'string')
        ? [...child].sort()
        : canonical(child);
  }
  return out;
}

function propertyNames(dataClass: new () => object): string[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(dataClass, '', true, false);
  return [...new Set(metas.map((m) => m.propertyName))].sort();
}

/** `$ref`s anywhere in a schema, so that nested classes are carried along with their parents. */
function refsIn(value: Json, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, found));
  else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(SCHEMAS)) {
        found.add(child.slice(SCHEMAS.length));
      } else refsIn(child, found);
    }
  }
  return found;
}

/**
 * JSON Schemas of every event's data, generated from the class-validator decorators, so the document
 * can never say something the validators do not enforce. Objects are closed (`additionalProperties:
 * false`) because validation forbids unknown fields.
 */
export function payloadSchemas(): Record<string, JsonObject> {
  const generated = validationMetadatasToSchemas({
    refPointerPrefix: SCHEMAS,
    additionalConverters: {
      // The defaults add `type: number` to min/max, which would override `type: integer` from IsInt.
      [MIN]: (meta) => ({ minimum: meta.constraints[0] as number }),
      [MAX]: (meta) => ({ maximum: meta.constraints[0] as number }),
      [RFC3339_CONSTRAINT]: { type: 'string', format: 'date-time' },
    },
  }) as unknown as Record<string, JsonObject>;

  const wanted = new Set<string>(EVENT_TYPES.map((type) => EVENT_CATALOGUE[type].dataClass.name));
  const out: Record<string, JsonObject> = {};
  const queue = [...wanted];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (name in out) continue;
    const schema = generated[name];
    if (!schema)
      throw new Error(`no JSON Schema generated for ${name}: does it have class-validator decorators?`);
    out[name] = { ...schema, additionalProperties: false };
    for (const ref of refsIn(schema)) queue.push(ref);
  }

  // Schemas are grouped by class name across the whole process; another class of the same name would
  // be merged into ours. Fail loudly rather than describe a payload we do not validate.
  for (const type of EVENT_TYPES) {
    const { dataClass } = EVENT_CATALOGUE[type];
    const schema = out[dataClass.name];
    const described = Object.keys(isObject(schema.properties) ? schema.properties : {}).sort();
    if (described.join() !== propertyNames(dataClass).join()) {
      throw new Error(
        `JSON Schema for ${dataClass.name} does not match its class: is the class name reused?`,
      );
    }
    out[dataClass.name] = {
      ...schema,
      title: dataClass.name,
      description: EVENT_CATALOGUE[type].description,
    };
  }
  return out;
}

function headersSchema(): JsonObject {
  return {
    type: 'object',
    description: 'CloudEvents 1.0 attributes, Kafka binary content mode.',
    required: [
      CE_HEADERS.id,
      CE_HEADERS.type,
      CE_HEADERS.source,
      CE_HEADERS.specversion,
      CE_HEADERS.time,
      CE_HEADERS.subject,
      CE_HEADERS.contentType,
    ],
    properties: {
      [CE_HEADERS.id]: {
        type: 'string',
        minLength: 1,
        description: 'Unique event id. Consumers de-duplicate on it: a redelivered event has the same id.',
      },
      [CE_HEADERS.type]: {
        type: 'string',
        minLength: 1,
        description: 'Event type, past tense and versioned.',
      },
      [CE_HEADERS.source]: {
        type: 'string',
        minLength: 1,
        description: 'URI reference of the producing service, e.g. /services/referral-intake.',
      },
      [CE_HEADERS.specversion]: { type: 'string', const: '1.0' },
      [CE_HEADERS.time]: { type: 'string', format: 'date-time', description: 'When the change happened.' },
      [CE_HEADERS.subject]: {
        type: 'string',
        minLength: 1,
        description: 'The aggregate id the topic is keyed by; always equal to the message key.',
      },
      [CE_HEADERS.contentType]: { type: 'string', const: 'application/json' },
    },
  };
}

function message(type: EventType): JsonObject {
  const def = EVENT_CATALOGUE[type];
  const example = EVENT_EXAMPLES[type] as unknown as JsonObject;
  const subject = example[def.subjectField];
  return {
    name: type,
    title: def.dataClass.name,
    summary: def.description,
    contentType: 'application/json',
    headers: {
      allOf: [
        { $ref: `${SCHEMAS}${HEADERS_SCHEMA}` },
        {
          type: 'object',
          properties: {
            [CE_HEADERS.type]: { const: type },
            [CE_HEADERS.subject]: { description: `The data's ${def.subjectField}.` },
          },
        },
      ],
    },
    payload: { $ref: `${SCHEMAS}${def.dataClass.name}` },
    correlationId: { description: 'De-duplication key.', location: `$message.header#/${CE_HEADERS.id}` },
    bindings: {
      kafka: {
        bindingVersion: KAFKA_BINDING_VERSION,
        key: { type: 'string', description: `The ${def.subjectField} (equal to ${CE_HEADERS.subject}).` },
      },
    },
    examples: [
      {
        name: 'example',
        headers: {
          [CE_HEADERS.id]: '0b8f3a2e-5c4d-4e6f-9a7b-1c2d3e4f5a6b',
          [CE_HEADERS.type]: type,
          [CE_HEADERS.source]: EXAMPLE_SOURCES[type],
          [CE_HEADERS.specversion]: '1.0',
          [CE_HEADERS.time]: '2025-03-03T10:15:00.123Z',
          [CE_HEADERS.subject]: subject,
          [CE_HEADERS.contentType]: 'application/json',
        },
        payload: example,
      },
    ],
  };
}

function deadLetterMessage(): JsonObject {
  return {
    name: DEAD_LETTER_MESSAGE,
    title: 'Dead-lettered message',
    summary: 'A message that can never be processed, kept for inspection and replay.',
    description:
      `The original key, body and headers, unchanged, plus a \`${DLQ_REASON_HEADER}\` header saying why it ` +
      'could not be processed (a bad envelope, invalid data, an unknown type...). The original may be ' +
      'malformed, so none of its CloudEvents headers is guaranteed.',
    headers: {
      type: 'object',
      required: [DLQ_REASON_HEADER],
      properties: {
        [DLQ_REASON_HEADER]: {
          type: 'string',
          description: 'Why the message was dead-lettered. Never quotes the body.',
        },
      },
    },
    payload: { description: 'The original body, byte for byte.' },
  };
}

// AsyncAPI ids are identifiers, so topics and event types (which hold dots) are named by their
// registry key and class name; the topic and the type stay in `address` and `name`.
function channelId(topic: TopicName, dlq = false): string {
  const key = (Object.keys(Topics) as (keyof typeof Topics)[]).find((k) => Topics[k] === topic) as string;
  return `${key.charAt(0).toLowerCase()}${key.slice(1)}Events${dlq ? 'Dlq' : ''}`;
}

function messageId(type: EventType): string {
  return EVENT_CATALOGUE[type].dataClass.name;
}

function pascal(id: string): string {
  return `${id.charAt(0).toUpperCase()}${id.slice(1)}`;
}

/**
 * The AsyncAPI 3.0 description of every topic and event, built from the topic registry and the event
 * catalogue alone (pure, deterministic). `npm run contracts:generate` writes it to asyncapi.json.
 */
export function buildAsyncApi(): object {
  const channels: JsonObject = {};
  const operations: JsonObject = {};
  const messages: JsonObject = { [DEAD_LETTER_MESSAGE]: deadLetterMessage() };

  for (const topic of ALL_TOPICS) {
    const types = eventsOn(topic);
    const keys = orderingKey(topic);
    const channelMessages: JsonObject = {};
    const id = channelId(topic);
    for (const type of types) {
      messages[messageId(type)] = message(type);
      channelMessages[messageId(type)] = { $ref: `#/components/messages/${messageId(type)}` };
    }
    channels[id] = {
      address: topic,
      title: topic,
      summary: TOPIC_SUMMARIES[topic],
      description: `${TOPIC_SUMMARIES[topic]} Keyed by ${keys}: one aggregate's events stay in one partition, in order.`,
      messages: channelMessages,
      bindings: { kafka: { bindingVersion: KAFKA_BINDING_VERSION, topic } },
    };
    const messageRefs = types.map((type) => ({ $ref: `#/channels/${id}/messages/${messageId(type)}` }));
    operations[`publish${pascal(id)}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${id}` },
      summary: `Publish to ${topic} through the transactional outbox (written with the state change).`,
      messages: messageRefs,
    };
    operations[`consume${pascal(id)}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${id}` },
      summary: `Consume ${topic}: validate the envelope and data, claim ce_id in the inbox, then act.`,
      messages: messageRefs,
    };

    const dlq = dlqTopic(topic);
    const dlqId = channelId(topic, true);
    channels[dlqId] = {
      address: dlq,
      title: dlq,
      summary: `Dead letters of ${topic}.`,
      description:
        `Messages from ${topic} that can never be processed, with the original key, body and headers ` +
        `and a \`${DLQ_REASON_HEADER}\` header giving the reason. Transient failures are retried, not dead-lettered.`,
      messages: { [DEAD_LETTER_MESSAGE]: { $ref: `#/components/messages/${DEAD_LETTER_MESSAGE}` } },
      bindings: { kafka: { bindingVersion: KAFKA_BINDING_VERSION, topic: dlq } },
    };
    operations[`deadLetter${pascal(id)}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${dlqId}` },
      summary: `Dead-letter a message of ${topic}.`,
      messages: [{ $ref: `#/channels/${dlqId}/messages/${DEAD_LETTER_MESSAGE}` }],
    };
  }

  const ordering = ALL_TOPICS.map((topic) => `- \`${topic}\`: keyed by ${orderingKey(topic)}`);
  const description = [
    "Events of the social prescribing platform's services, as published on Kafka.",
    '',
    "**De-identification.** No event carries an NHS number, a person's name, date of birth, phone number, email " +
      'address, full postcode or free-text note. Events carry ids, codes, postcode districts, age bands, ' +
      'counts, timestamps and person keys (a keyed HMAC of the NHS number, per ICS on the analytics ' +
      "topic); a PCN's registration also carries the PCN's public name. Every payload schema is " +
      'closed and producers validate before publishing, so unknown fields are refused rather than ' +
      'passed on.',
    '',
    `**Envelope.** CloudEvents 1.0 in Kafka binary mode: \`${CE_HEADERS.id}\`, \`${CE_HEADERS.type}\`, ` +
      `\`${CE_HEADERS.source}\`, \`${CE_HEADERS.specversion}\`, \`${CE_HEADERS.time}\`, ` +
      `\`${CE_HEADERS.subject}\` and \`${CE_HEADERS.contentType}\` headers; the body is the JSON data. ` +
      `\`${CE_HEADERS.id}\` is the de-duplication key.`,
    '',
    `**Ordering.** The message key is \`${CE_HEADERS.subject}\`, the aggregate id, so one aggregate's ` +
      'events stay in order:',
    ...ordering,
    '',
    `**Dead letters.** A message that can never be processed goes to \`<topic>.dlq\` with a ` +
      `\`${DLQ_REASON_HEADER}\` header.`,
    '',
    '**Versions.** Types are past tense and versioned. An additive change stays in v1; a breaking one ' +
      'is a new version, published beside the old until consumers move.',
  ].join('\n');

  const doc: JsonObject = {
    asyncapi: '3.0.0',
    info: {
      title: 'Social prescribing platform events',
      version: ASYNCAPI_DOCUMENT_VERSION,
      description,
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: 'localhost:9092',
        protocol: 'kafka',
        description: 'The local stack (npm run stack -- up); services read KAFKA_BROKERS.',
      },
    },
    channels,
    operations,
    components: {
      schemas: { [HEADERS_SCHEMA]: headersSchema(), ...payloadSchemas() },
      messages,
    },
  };
  return canonical(doc) as JsonObject;
}

/** The committed form of the document: 2-space JSON with a trailing newline. */
export function renderAsyncApi(): string {
  return `${JSON.stringify(buildAsyncApi(), null, 2)}\n`;
}

/** Where `actual` first differs from `expected` (a JSON path), or undefined when they are equal. */
export function firstDifference(expected: unknown, actual: unknown, path = '$'): string | undefined {
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!Array.isArray(expected) || !Array.isArray(actual)) return path;
    const length = Math.max(expected.length, actual.length);
    for (let i = 0; i < length; i++) {
      const diff = firstDifference(expected[i], actual[i], `${path}[${i}]`);
      if (diff) return diff;
    }
    return undefined;
  }
  if (isObject(expected) || isObject(actual)) {
    if (!isObject(expected) || !isObject(actual)) return path;
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    for (const key of keys) {
      const diff = firstDifference(expected[key], actual[key], `${path}.${key}`);
      if (diff) return diff;
    }
    return undefined;
  }
  return Object.is(expected, actual) ? undefined : path;
}
