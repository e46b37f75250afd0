import {
  DynamicModule,
  Provider,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  Optional,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { createKafka, kafkaBrokers } from '../kafka-client';
import { KafkaHealth } from '../kafka-health';
import { OutboxRelay } from '../outbox-relay';
import { OutboxWriter } from '../outbox-writer';
import { KafkaInboxTransport } from './kafka-inbox.transport';

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
/** The kafkajs client; exported as a token so that no service imports kafkajs itself. */
export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');

export interface MessagingModuleOptions {
  /** The service's name: CloudEvents `source`, Kafka client id and consumer group. */
  service: string;
  brokers?: string[];
  /** Set false for a process that only consumes or a tool that must not relay. */
  relay?: boolean;
  /** False for a process without a database (the gateway): no outbox, no inbox, Kafka health only. */
  database?: boolean;
}

@Injectable()
class MessagingLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly health: KafkaHealth,
    @Inject(MESSAGING_OPTIONS) private readonly opts: MessagingModuleOptions,
    @Optional() private readonly relay?: OutboxRelay,
  ) {}
  onApplicationBootstrap(): void {
    if (this.opts.relay !== false) this.relay?.start();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.health.close();
  }
}

@Module({})
export class MessagingModule {
  static forRoot(opts: MessagingModuleOptions): DynamicModule {
    const base: Provider[] = [
      { provide: MESSAGING_OPTIONS, useValue: opts },
      { provide: KAFKA_CLIENT, useFactory: () => createKafka(opts.service, opts.brokers ?? kafkaBrokers()) },
      { provide: KafkaHealth, inject: [KAFKA_CLIENT], useFactory: (kafka: Kafka) => new KafkaHealth(kafka) },
      MessagingLifecycle,
    ];
    if (opts.database === false) {
      return { module: MessagingModule, global: true, providers: base, exports: [KAFKA_CLIENT, KafkaHealth] };
    }
    return {
      module: MessagingModule,
      global: true,
      providers: [
        ...base,
        { provide: OutboxWriter, useFactory: () => new OutboxWriter(opts.service) },
        {
          provide: OutboxRelay,
          inject: [DataSource, KAFKA_CLIENT],
          useFactory: (dataSource: DataSource, kafka: Kafka) =>
            new OutboxRelay({ dataSource, kafka, name: `${opts.service}:outbox` }),
        },
        {
          provide: KafkaInboxTransport,
          inject: [DataSource, KAFKA_CLIENT],
          useFactory: (dataSource: DataSource, kafka: Kafka) =>
            new KafkaInboxTransport({
              // A test booting a service in-process joins its own group, so it neither steals the
              // running service's partitions nor moves that service's committed offsets.
              name: process.env.SP_CONSUMER_GROUP || opts.service,
              kafka,
              dataSource,
            }),
        },
      ],
      exports: [MESSAGING_OPTIONS, KAFKA_CLIENT, OutboxWriter, OutboxRelay, KafkaHealth, KafkaInboxTransport],
    };
  }
}
