import { Admin, Kafka } from 'kafkajs';
import { withTimeout } from './transient-error';

/** Answers whether the Kafka cluster is reachable now, within a short timeout, for /health. */
export class KafkaHealth {
  private admin?: Admin;
  constructor(private readonly kafka: Kafka) {}

  async ping(timeoutMs = 2000): Promise<{ brokers: number; controller: number | null }> {
    const attempt = async () => {
      if (!this.admin) {
        const admin = this.kafka.admin({ retry: { retries: 0 } });
        await admin.connect();
        this.admin = admin;
      }
      const cluster = await this.admin.describeCluster();
      return { brokers: cluster.brokers.length, controller: cluster.controller };
    };
    try {
      return await withTimeout(attempt(), timeoutMs, `kafka did not answer within ${timeoutMs} ms`);
    } catch (err) {
      // A stale connection after a broker restart must not make every later check fail.
      const admin = this.admin;
      this.admin = undefined;
      void admin?.disconnect().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }
}
