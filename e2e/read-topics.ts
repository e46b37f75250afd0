import { createKafka } from '@sp/messaging';

/**
 * Every message on every topic of the cluster (DLQs included) as text: key, headers and body, one
 * entry per topic, for the privacy check to search.
 */
export async function readAllTopics(brokers: string[], timeoutMs = 60_000): Promise<[string, string][]> {
  const kafka = createKafka('privacy-check', brokers);
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => !t.startsWith('__'));
  const expected = new Map<string, number>();
  for (const topic of topics) {
    const offsets = await admin.fetchTopicOffsets(topic);
    expected.set(
      topic,
      offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0),
    );
  }
  await admin.disconnect();
  const texts = new Map<string, string[]>(topics.map((t) => [t, []]));
  const consumer = kafka.consumer({ groupId: `privacy-check-${Date.now()}` });
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  const total = [...expected.values()].reduce((a, b) => a + b, 0);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${seen} of ${total} messages`)), timeoutMs);
    if (total === 0) {
      clearTimeout(timer);
      resolve();
    }
    void consumer.run({
      eachMessage: async ({ topic, message }) => {
        const headers = Object.entries(message.headers ?? {})
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(' ');
        texts
          .get(topic)!
          .push(`${message.key?.toString() ?? ''} ${headers} ${message.value?.toString() ?? ''}`);
        if (++seen >= total) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return [...texts].map(([topic, lines]) => [topic, lines.join('\n')]);
}
