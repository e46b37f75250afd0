export { KafkaBroker, newClusterId, probeKafka } from './kafka-broker';
export type { KafkaBrokerOptions } from './kafka-broker';
export { KafkaCluster } from './kafka-cluster';
export { assertFixedPort, ephemeralPortRange } from './support/net';
export type { KafkaClusterOptions } from './kafka-cluster';
export { ensureKafkaJars, KAFKA_LIBS_DIR, kafkaVersionFromPom } from './kafka-jars';
export {
  canConnect,
  DEFAULT_PG_ADMIN_URL,
  ensureDatabases,
  ensurePostgres,
  pgAdminUrl,
  TempPostgres,
  withDatabase,
} from './postgres';
export type { PostgresProvision, TempPostgresOptions } from './postgres';
export { DEFAULT_REDIS_URL, ensureRedis, pingRedis, TempRedis } from './redis';
export type { RedisProvision } from './redis';
export { ensureTopics } from './topics';
export type { EnsureTopicsOptions, EnsureTopicsResult } from './topics';
export { loadTopics, parseTopicsFile, resolveTopics, TOPICS_FILE } from './topic-config';
export type { TopicSpec } from './topic-config';
export { formatStackStatus, stackAddresses, stackDown, stackStatus, stackUp } from './stack';
export type { StackInfo, StackStatus, StackUpOptions } from './stack';
export { loadServices } from './stack-state';
export type { ServiceEntry, StatusRow } from './stack-state';
