import { dlqTopic } from '@sp/contracts';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

export interface DeadLetterInfo {
  consumer: string;
  topic: string;
  partition: number;
  offset: string;
  reason: string;
}

/**
 * The message as it arrived (key, body and headers untouched, so it can be replayed) plus headers
 * saying where it came from and why it was set aside. Reasons name the problem, never the content.
 */
export function deadLetterMessage(
  message: KafkaMessage,
  info: DeadLetterInfo,
): { topic: string; message: Message } {
  const headers: IHeaders = { ...(message.headers ?? {}) };
  headers.dlq_reason = info.reason.slice(0, 1000);
  headers.dlq_consumer = info.consumer;
  headers.dlq_source_topic = info.topic;
  headers.dlq_source_partition = String(info.partition);
  headers.dlq_source_offset = info.offset;
  headers.dlq_at = new Date().toISOString();
  return { topic: dlqTopic(info.topic), message: { key: message.key, value: message.value, headers } };
}
