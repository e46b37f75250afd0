import { Kafka, logLevel } from 'kafkajs';
import { stackAddresses } from './stack';
import { TopicSpec } from './topic-config';
import { ensureTopics } from './topics';

// Against the shared stack broker, on topics of this spec's own (deleted afterwards).
describe('ensureTopics', () => {
  const { kafkaBrokers } = stackAddresses();
  const admin = new Kafka({
    clientId: 'infra-it-topics',
    brokers: kafkaBrokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  const run = Date.now();
  const spec = (name: string, partitions: number): TopicSpec => ({
    name: `it.infra.topics.${run}.${name}`,
    partitions,
    replicationFactor: 1,
    configs: { 'retention.ms': '3600000' },
  });

  beforeAll(async () => {
    await admin.connect();
  });

  afterAll(async () => {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`it.infra.topics.${run}.`));
    if (mine.length) await admin.deleteTopics({ topics: mine });
    await admin.disconnect();
  });

  it('creates missing topics with their partitions and configs, and is idempotent', async () => {
    const topics = [spec('a', 3), spec('b', 1)];
    const first = await ensureTopics(kafkaBrokers, { topics });
    expect(first.created.sort()).toEqual(topics.map((t) => t.name).sort());

    const second = await ensureTopics(kafkaBrokers, { topics });
    expect(second).toMatchObject({ created: [], partitionsAdded: [] });
    expect(second.existing.sort()).toEqual(topics.map((t) => t.name).sort());

    const meta = await admin.fetchTopicMetadata({ topics: [topics[0].name] });
    expect(meta.topics[0].partitions).toHaveLength(3);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: topics[0].name, configNames: ['retention.ms'] }],
    });
    expect(configs.resources[0].configEntries[0].configValue).toBe('3600000');
  });

  it('raises a partition count that is too low, never lowers one', async () => {
    await ensureTopics(kafkaBrokers, { topics: [spec('grow', 2)] });
    const grown = await ensureTopics(kafkaBrokers, { topics: [spec('grow', 4)] });
    expect(grown.partitionsAdded).toEqual([spec('grow', 4).name]);
    await ensureTopics(kafkaBrokers, { topics: [spec('grow', 1)] });
    const meta = await admin.fetchTopicMetadata({ topics: [spec('grow', 4).name] });
    expect(meta.topics[0].partitions).toHaveLength(4);
  });

  it('tolerates concurrent callers creating the same topics', async () => {
    const topics = [spec('race1', 2), spec('race2', 2)];
    const results = await Promise.all([1, 2, 3].map(() => ensureTopics(kafkaBrokers, { topics })));
    for (const r of results) expect(r.topics).toEqual(topics.map((t) => t.name));
    const meta = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
    expect(meta.topics.every((t) => t.partitions.length === 2)).toBe(true);
  });
});
