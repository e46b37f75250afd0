import { Logger } from '@nestjs/common';
import { Kafka, logLevel, LogEntry } from 'kafkajs';

export function kafkaBrokers(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.KAFKA_BROKERS ?? 'localhost:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

const toNest = (level: logLevel): 'error' | 'warn' | 'log' | 'debug' =>
  level === logLevel.ERROR
    ? 'error'
    : level === logLevel.WARN
      ? 'warn'
      : level === logLevel.INFO
        ? 'log'
        : 'debug';

/**
 * A kafkajs client whose own log lines go through Nest's logger. kafkajs logs protocol events and
 * errors only (never message contents), and a broker restart makes it noisy, so below WARN is dropped.
 */
export function createKafka(clientId: string, brokers: string[] = kafkaBrokers()): Kafka {
  const logger = new Logger(`kafka:${clientId}`);
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 15000,
    retry: { initialRetryTime: 200, maxRetryTime: 5000, retries: 8 },
    logLevel: process.env.KAFKA_LOG_LEVEL === 'debug' ? logLevel.DEBUG : logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, error, broker } = log as { message?: string; error?: string; broker?: string };
        const text = [message, broker && `broker=${broker}`, error && `error=${error}`]
          .filter(Boolean)
          .join(' ');
        logger[toNest(level)](text);
      },
  });
}
