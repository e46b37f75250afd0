import { Counter, Histogram, register } from 'prom-client';

function counter(name: string, help: string, labelNames: string[]): Counter<string> {
  return (register.getSingleMetric(name) as Counter<string>) ?? new Counter({ name, help, labelNames });
}
function histogram(name: string, help: string, labelNames: string[], buckets: number[]): Histogram<string> {
  return (
    (register.getSingleMetric(name) as Histogram<string>) ??
    new Histogram({ name, help, labelNames, buckets })
  );
}

/** Messaging metrics on the default prom-client registry, served by each service's /metrics. */
export const messagingMetrics = {
  outboxPublished: counter('sp_outbox_published_total', 'Outbox events published to Kafka', ['topic']),
  outboxPublishErrors: counter('sp_outbox_publish_errors_total', 'Failed outbox publish attempts', []),
  outboxLag: histogram(
    'sp_outbox_lag_seconds',
    'Seconds from an outbox row being written to its publication',
    [],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  ),
  consumed: counter('sp_consumer_messages_total', 'Messages handled by consumers, by result', [
    'consumer',
    'topic',
    'result',
  ]),
  consumerRestarts: counter('sp_consumer_restarts_total', 'Consumer restarts after a crash', ['consumer']),
  offsetCommits: counter(
    'sp_consumer_offset_commits_total',
    'Offset commits sent to Kafka by consumers (at most one per CONSUMER_COMMIT_INTERVAL_MS while running)',
    ['consumer'],
  ),
  consumerStalls: counter(
    'sp_consumer_stalls_total',
    'Consumers rebuilt after showing no fetch, heartbeat or batch for CONSUMER_STALL_MS',
    ['consumer'],
  ),
  earlyCommits: counter(
    'sp_consumer_early_commits_total',
    'Shared consumer transactions committed after the event whose handler asked to commit soon (it had locked a row others queue for), by that event type',
    ['consumer', 'type'],
  ),
  partitionStalls: counter(
    'sp_consumer_partition_stalls_total',
    'Consumers rebuilt because an assigned partition stayed behind, unmoved and without a batch for CONSUMER_PARTITION_STALL_MS',
    ['consumer', 'topic'],
  ),
};
