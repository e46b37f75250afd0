import { Controller, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { createTestDatabase, uniqueName, waitFor } from '@sp/testing';
import { DataSource } from 'typeorm';
import { createKafka, kafkaBrokers } from '../kafka-client';
import { OutboxRelay } from '../outbox-relay';
import { OutboxWriter } from '../outbox-writer';
import { EventContext, KafkaInboxTransport } from './kafka-inbox.transport';
import {
  createTopics,
  openTestDataSource,
  TEST_EVENT,
  testKafka,
  testRegistry,
} from '../../test/messaging-fixtures';

@Controller()
class TestHandlers {
  @EventPattern(TEST_EVENT)
  async happened(@Payload() data: { key: string; seq: number }, @Ctx() ctx: EventContext) {
    await ctx
      .getManager()
      .query(`INSERT INTO effects (ce_id, key, seq) VALUES ($1, $2, $3)`, [
        ctx.getEvent().id,
        data.key,
        data.seq,
      ]);
    if (data.seq === 13) throw new Error('unlucky: the handler fails, so its inbox claim must roll back too');
  }
}

@Module({ controllers: [TestHandlers] })
class TestModule {}

describe('KafkaInboxTransport: @EventPattern handlers over the inbox consumer', () => {
  const topic = uniqueName('test.transport').replace(/_/g, '-');
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let app: INestApplication;
  let relay: OutboxRelay;

  beforeAll(async () => {
    const admin = testKafka(kafkaBrokers()).admin();
    await admin.connect();
    await createTopics(admin, [topic, `${topic}.dlq`], 2);
    await admin.disconnect();
    db = await createTestDatabase(uniqueName('sp_test_transport'));
    ds = await openTestDataSource(db.url);
    relay = new OutboxRelay({ dataSource: ds, kafka: createKafka('transport-relay') });
    relay.start();
  });

  afterAll(async () => {
    await app?.close();
    await relay.stop();
    await ds.destroy();
    await db.drop();
  });

  it('delivers events to plain @EventPattern methods, writing in the inbox transaction', async () => {
    app = await NestFactory.create(TestModule, { logger: ['error', 'warn'] });
    app.connectMicroservice({
      strategy: new KafkaInboxTransport({
        name: uniqueName('transport-it'),
        kafka: createKafka('transport-it'),
        dataSource: ds,
        registry: testRegistry(topic),
        sessionTimeoutMs: 6000,
      }),
    });
    await app.startAllMicroservices();
    await app.init();

    const writer = new OutboxWriter('transport-test', testRegistry(topic));
    await ds.transaction((m) =>
      writer.enqueueMany(
        m,
        [12, 13, 14].map((seq) => ({ type: TEST_EVENT, subject: 'k', data: { key: 'k', seq } })),
      ),
    );
    await waitFor(async () => (await ds.query(`SELECT 1 FROM effects WHERE seq = 14`)).length, {
      message: 'event 14 handled',
    });
    const effects: { seq: number }[] = await ds.query(`SELECT seq FROM effects ORDER BY n`);
    // 13's handler threw: its insert rolled back with its inbox claim, and it went to the DLQ.
    expect(effects.map((e) => e.seq)).toEqual([12, 14]);
    const inbox: { status: string }[] = await ds.query(`SELECT status FROM inbox ORDER BY "offset"`);
    expect(inbox.map((i) => i.status).sort()).toEqual(['dead-lettered', 'processed', 'processed']);
  });

  it('refuses to boot with a handler for an event type the registry does not know', async () => {
    @Controller()
    class Stray {
      @EventPattern('nobody.heard-of-this.v1')
      handle() {
        return undefined;
      }
    }
    @Module({ controllers: [Stray] })
    class StrayModule {}
    const stray = await NestFactory.create(StrayModule, { logger: false });
    stray.connectMicroservice({
      strategy: new KafkaInboxTransport({ name: 'stray', kafka: createKafka('stray'), dataSource: ds }),
    });
    await expect(stray.startAllMicroservices()).rejects.toThrow(/nobody.heard-of-this.v1/);
    await stray.close();
  });
});
