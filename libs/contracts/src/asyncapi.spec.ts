import { AGE_BANDS, NEED_CODES } from './codes';
import { buildAsyncApi, firstDifference, renderAsyncApi } from './asyncapi';
import { EVENT_CATALOGUE, EVENT_TYPES } from './event-catalogue';
import { asyncApiDrift } from './generate-asyncapi';
import { ALL_TOPICS, dlqTopic } from './topic-registry';

type Node = { [key: string]: unknown };

const doc = buildAsyncApi() as Node;

function at(pointer: string): unknown {
  if (!pointer.startsWith('#/')) throw new Error(`not a local pointer: ${pointer}`);
  return pointer
    .slice(2)
    .split('/')
    .reduce<unknown>(
      (node, part) => (node as Node | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')],
      doc,
    );
}

function refs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refs(n, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else refs(value, found);
    }
  }
  return found;
}

function schema(name: string): Node {
  return (doc.components as { schemas: Record<string, Node> }).schemas[name];
}

function property(schemaName: string, prop: string): Node {
  return (schema(schemaName).properties as Record<string, Node>)[prop];
}

describe('asyncapi.json', () => {
  it('is up to date with the code', () => {
    // On failure the message says how to fix it: run npm run contracts:generate.
    expect(asyncApiDrift()).toBeUndefined();
  });

  it('is the same document every time it is built', () => {
    expect(renderAsyncApi()).toBe(renderAsyncApi());
    expect(renderAsyncApi().endsWith('}\n')).toBe(true);
  });

  it('would notice a change', () => {
    const changed = JSON.parse(renderAsyncApi()) as Node;
    (changed.info as Node).version = '9.9.9';
    expect(firstDifference(doc, changed)).toBe('$.info.version');
    expect(firstDifference(doc, JSON.parse(renderAsyncApi()))).toBeUndefined();
    expect(firstDifference({ a: [1, 2] }, { a: [1] })).toBe('$.a[1]');
  });
});

describe('buildAsyncApi', () => {
  it('is an AsyncAPI 3.0 document stating the de-identification guarantee and ordering keys', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    const info = doc.info as Node;
    expect(info.title).toEqual(expect.any(String));
    expect(info.description).toContain('No event carries an NHS number');
    for (const topic of ALL_TOPICS) expect(info.description).toContain(`\`${topic}\`: keyed by`);
    expect((doc.servers as Node).local).toMatchObject({ host: 'localhost:9092', protocol: 'kafka' });
  });

  it('has a channel for every topic and its dead-letter topic', () => {
    const addresses = Object.values(doc.channels as Record<string, Node>).map((c) => c.address);
    expect(addresses.sort()).toEqual([...ALL_TOPICS, ...ALL_TOPICS.map(dlqTopic)].sort());
    const dlq = Object.values(doc.channels as Record<string, Node>).find(
      (c) => c.address === dlqTopic(ALL_TOPICS[0]),
    );
    expect(dlq?.description).toContain('dlq_reason');
  });

  it('puts every event type on its topic channel, and nowhere else', () => {
    const channels = Object.values(doc.channels as Record<string, Node>);
    for (const type of EVENT_TYPES) {
      const holding = channels.filter((c) =>
        Object.values(c.messages as Record<string, { $ref: string }>).some(
          (m) => (at(m.$ref) as Node).name === type,
        ),
      );
      expect(holding.map((c) => c.address)).toEqual([EVENT_CATALOGUE[type].topic]);
    }
  });

  it('resolves every reference', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(50);
    for (const ref of all) expect({ ref, found: at(ref) !== undefined }).toEqual({ ref, found: true });
  });

  it('has send and receive operations whose messages belong to their channel', () => {
    for (const op of Object.values(doc.operations as Record<string, Node>)) {
      expect(['send', 'receive']).toContain(op.action);
      const channelRef = (op.channel as { $ref: string }).$ref;
      for (const m of op.messages as { $ref: string }[])
        expect(m.$ref.startsWith(`${channelRef}/messages/`)).toBe(true);
    }
  });

  it('gives each message CloudEvents headers with its own ce_type, and its payload schema', () => {
    const headers = schema('CloudEventHeaders');
    expect(headers.required).toEqual([
      'ce_id',
      'ce_source',
      'ce_specversion',
      'ce_subject',
      'ce_time',
      'ce_type',
      'content-type',
    ]);
    for (const type of EVENT_TYPES) {
      const name = EVENT_CATALOGUE[type].dataClass.name;
      const message = (doc.components as { messages: Record<string, Node> }).messages[name];
      expect(message.name).toBe(type);
      expect(JSON.stringify(message.headers)).toContain(`"const":"${type}"`);
      expect(message.payload).toEqual({ $ref: `#/components/schemas/${name}` });
    }
  });

  it('generates payload schemas from the validators, constraints included', () => {
    const received = schema('ReferralReceivedV1');
    expect(received.additionalProperties).toBe(false);
    expect(received.required).toEqual(expect.arrayContaining(['referralId', 'needs', 'receivedAt']));
    expect(received.required).not.toContain('preferredLanguage');
    expect(received.required).not.toContain('linkedReferralId');
    expect(property('ReferralReceivedV1', 'needs')).toMatchObject({
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', enum: [...NEED_CODES] },
    });
    expect(property('ReferralReceivedV1', 'ageBand')).toMatchObject({ type: 'string', enum: [...AGE_BANDS] });
    expect(property('ReferralReceivedV1', 'accessibilityNeeds')).toMatchObject({
      type: 'array',
      items: { type: 'string', pattern: expect.any(String) },
    });
    expect(property('ReferralReceivedV1', 'referralId')).toMatchObject({ type: 'string', format: 'uuid' });
    expect(property('ReferralReceivedV1', 'receivedAt')).toMatchObject({
      type: 'string',
      format: 'date-time',
    });
    expect(property('ReferralReceivedV1', 'pcnCode')).toMatchObject({ type: 'string', pattern: '^U\\d{5}$' });
    expect(property('CapacityUpdatedV1', 'maxActive')).toMatchObject({ type: 'integer', minimum: 0 });
    expect(property('AnalyticsLoadChangedV1', 'utilisation')).toMatchObject({ type: 'number', minimum: 0 });
    expect(property('ConsentGrantedV1', 'shareWithVcso')).toMatchObject({ type: 'boolean' });
  });

  it('describes exactly the properties each class validates', () => {
    for (const type of EVENT_TYPES) {
      const { dataClass } = EVENT_CATALOGUE[type];
      const described = Object.keys(schema(dataClass.name).properties as object).sort();
      const example = Object.keys(
        (at(`#/components/messages/${dataClass.name}`) as { examples: { payload: object }[] }).examples[0]
          .payload,
      );
      expect(described).toEqual(expect.arrayContaining(example));
      expect(example).toEqual(expect.arrayContaining(schema(dataClass.name).required as string[]));
    }
  });
});
