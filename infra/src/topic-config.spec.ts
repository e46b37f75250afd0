import { loadTopics, parseTopicsFile, resolveTopics, TopicsFile } from './topic-config';

const EVENT_TOPICS = [
  'sp.referral.events.v1',
  'sp.consent.events.v1',
  'sp.matching.events.v1',
  'sp.capacity.events.v1',
  'sp.analytics.events.v1',
];

describe('infra/topics.json', () => {
  const topics = loadTopics({});
  const byName = new Map(topics.map((t) => [t.name, t]));

  it('lists every event topic of the contract and a DLQ for each', () => {
    expect(topics.map((t) => t.name).sort()).toEqual(
      [...EVENT_TOPICS, ...EVENT_TOPICS.map((t) => `${t}.dlq`)].sort(),
    );
  });

  it('gives the domain topics 6 partitions, analytics 3 and each DLQ 1', () => {
    for (const t of EVENT_TOPICS.slice(0, 4)) expect(byName.get(t)?.partitions).toBe(6);
    expect(byName.get('sp.analytics.events.v1')?.partitions).toBe(3);
    for (const t of EVENT_TOPICS) expect(byName.get(`${t}.dlq`)?.partitions).toBe(1);
  });

  it('keeps DLQ messages longer than events', () => {
    for (const t of EVENT_TOPICS) {
      const main = Number(byName.get(t)?.configs['retention.ms']);
      const dlq = Number(byName.get(`${t}.dlq`)?.configs['retention.ms']);
      expect(main).toBeGreaterThan(0);
      expect(dlq).toBeGreaterThan(main);
    }
  });

  it('uses replication factor 1 locally', () => {
    expect(
      topics.every((t) => t.replicationFactor === 1 && t.configs['min.insync.replicas'] === undefined),
    ).toBe(true);
  });
});

describe('resolveTopics', () => {
  const file: TopicsFile = {
    replicationFactor: 1,
    topics: [
      { name: 'a', partitions: 2, configs: {} },
      { name: 'b', partitions: 1, configs: { 'min.insync.replicas': '3' } },
    ],
  };

  it('takes the replication factor from SP_KAFKA_REPLICATION_FACTOR and raises min.insync.replicas with it', () => {
    const [a, b] = resolveTopics(file, { SP_KAFKA_REPLICATION_FACTOR: '3' });
    expect(a.replicationFactor).toBe(3);
    expect(a.configs['min.insync.replicas']).toBe('2');
    expect(b.configs['min.insync.replicas']).toBe('3'); // a topic's own setting wins
  });

  it('lets an explicit factor win over the environment', () => {
    expect(resolveTopics(file, { SP_KAFKA_REPLICATION_FACTOR: '3' }, 2)[0].replicationFactor).toBe(2);
  });

  it('rejects a factor that is not a positive integer', () => {
    expect(() => resolveTopics(file, { SP_KAFKA_REPLICATION_FACTOR: 'three' })).toThrow('positive integer');
  });

  it('does not share config objects with the file', () => {
    resolveTopics(file, { SP_KAFKA_REPLICATION_FACTOR: '3' });
    expect(file.topics[0].configs).toEqual({});
  });
});

describe('parseTopicsFile', () => {
  it('rejects duplicates, bad names, bad partitions and non-string configs', () => {
    const t = (topics: unknown[]) => () => parseTopicsFile({ replicationFactor: 1, topics });
    expect(
      t([
        { name: 'x', partitions: 1 },
        { name: 'x', partitions: 1 },
      ]),
    ).toThrow('listed twice');
    expect(t([{ name: 'bad name', partitions: 1 }])).toThrow('no valid name');
    expect(t([{ name: 'x', partitions: 0 }])).toThrow('partitions');
    expect(t([{ name: 'x', partitions: 1, configs: { 'retention.ms': 5 } }])).toThrow('must be a string');
    expect(() => parseTopicsFile({ replicationFactor: 0, topics: [] })).toThrow('replicationFactor');
  });
});
