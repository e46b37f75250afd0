import { CustomTransportStrategy, BaseRpcContext, EventPattern, Server } from '@nestjs/microservices';
import type { CloudEvent } from '@sp/contracts';
import { Kafka } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import type { DataSource, EntityManager } from 'typeorm';
import { EventBatchHandler, EventConsumer, EventHandler } from '../event-consumer';
import { contractsRegistry, EventRegistry } from '../event-registry';

/**
 * What an `@EventPattern` handler receives as `@Ctx()`: the whole CloudEvent and the EntityManager of
 * the transaction that also holds the inbox claim. Write through `getManager()` and the work commits
 * (or not) together with the claim.
 */
export class EventContext extends BaseRpcContext<[CloudEvent, EntityManager]> {
  getEvent(): CloudEvent {
    return this.args[0];
  }
  getManager(): EntityManager {
    return this.args[1];
  }
}

/**
 * What an `@EventBatchPattern` handler receives as `@Ctx()`: the events (one type, in offset order)
 * and the EntityManager of the transaction that also holds their inbox claims.
 */
export class EventBatchContext extends BaseRpcContext<[CloudEvent[], EntityManager]> {
  getEvents(): CloudEvent[] {
    return this.args[0];
  }
  getManager(): EntityManager {
    return this.args[1];
  }
}

/**
 * Like `@EventPattern(type)`, for a handler that takes several events of the type at once (an
 * EventBatchContext): a run of them in one consumed chunk arrives in one call. The handler must come
 * to the same rows whichever order it and the service's other batch handlers run in (see
 * EventConsumerOptions.batchHandlers).
 */
export const EventBatchPattern = (type: string): MethodDecorator => EventPattern(type, { batch: true });

export interface KafkaInboxTransportOptions {
  name: string;
  kafka: Kafka;
  dataSource: DataSource;
  registry?: EventRegistry;
  sessionTimeoutMs?: number;
}

/**
 * A Nest microservice transport over EventConsumer: service handlers are plain
 * `@EventPattern('referral.received.v1')` methods, each subscribed to its type's topic from the
 * registry. Boot fails for a pattern the registry does not know.
 */
export class KafkaInboxTransport extends Server implements CustomTransportStrategy {
  private consumer?: EventConsumer;

  constructor(private readonly options: KafkaInboxTransportOptions) {
    super();
  }

  listen(callback: (err?: unknown) => void): void {
    const registry = this.options.registry ?? contractsRegistry;
    const handlers = new Map<string, EventHandler>();
    const batchHandlers = new Map<string, EventBatchHandler>();
    for (const [pattern, handler] of this.messageHandlers) {
      if (!handler.isEventHandler) throw new Error(`${pattern}: only @EventPattern handlers are supported`);
      if (handler.extras?.batch === true) {
        batchHandlers.set(pattern, async (events, manager) => {
          const result = await handler(
            events.map((e) => e.data),
            new EventBatchContext([events, manager]),
          );
          await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
        });
        continue;
      }
      handlers.set(pattern, async (event, manager) => {
        const result = await handler(event.data, new EventContext([event, manager]));
        await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
      });
    }
    const types = [...handlers.keys(), ...batchHandlers.keys()];
    const topics = [...new Set(types.map((type) => registry.topicFor(type)))];
    if (topics.length === 0) return callback();
    this.consumer = new EventConsumer({
      name: this.options.name,
      kafka: this.options.kafka,
      dataSource: this.options.dataSource,
      topics,
      handlers,
      batchHandlers,
      registry,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
    });
    this.consumer.start().then(
      () => callback(),
      (err: unknown) => callback(err),
    );
  }

  get consumerStatus(): string {
    return this.consumer?.status ?? 'none';
  }

  async close(): Promise<void> {
    await this.consumer?.stop();
  }

  on(): void {
    // No transport-level events to subscribe to.
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }
}
