import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaBroker, newClusterId } from './kafka-broker';
import { errorMessage, sleep } from './support/wait';

export interface KafkaClusterOptions {
  /** Node i (from 0) serves clients on basePort + 2i and its controller on basePort + 2i + 1. */
  basePort: number;
  /** Each node keeps its config, data and logs in `<dataDir>/node-<id>`. */
  dataDir: string;
  /** 3 by default: the smallest cluster that keeps accepting acks=all writes with a node down. */
  nodes?: number;
  heapMb?: number;
  host?: string;
  log?: (line: string) => void;
}

/**
 * A local Kafka cluster in KRaft mode, each node a combined broker and controller (KafkaBroker) run
 * from the same jars, formatted with one cluster id and voting in one quorum. With three nodes,
 * internal topics and new topics default to three replicas and `min.insync.replicas` 2, as in
 * production (deploy/kafka), so a test can stop the leader of a partition under a running producer
 * and consumer and watch a follower take over.
 */
export class KafkaCluster {
  readonly nodes: KafkaBroker[];
  private readonly host: string;

  constructor(opts: KafkaClusterOptions) {
    const count = opts.nodes ?? 3;
    this.host = opts.host ?? '127.0.0.1';
    const clusterId = newClusterId();
    const voters = Array.from(
      { length: count },
      (_, i) => `${i + 1}@${this.host}:${opts.basePort + 2 * i + 1}`,
    ).join(',');
    this.nodes = Array.from(
      { length: count },
      (_, i) =>
        new KafkaBroker({
          nodeId: i + 1,
          port: opts.basePort + 2 * i,
          controllerPort: opts.basePort + 2 * i + 1,
          dataDir: path.join(opts.dataDir, `node-${i + 1}`),
          host: this.host,
          heapMb: opts.heapMb ?? 384,
          quorumVoters: voters,
          clusterId,
          replicationFactor: Math.min(3, count),
          minInsyncReplicas: count >= 3 ? 2 : 1,
          log: opts.log,
        }),
    );
  }

  /** Bootstrap addresses of every node: clients find the others (and a new leader) from any one. */
  get brokers(): string[] {
    return this.nodes.flatMap((n) => n.brokers);
  }

  node(id: number): KafkaBroker {
    const found = this.nodes.find((n) => n.id === id);
    if (!found) throw new Error(`no node ${id} in the cluster`);
    return found;
  }

  /** Starts every node together: none is ready before a quorum of controllers is up. */
  async start(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.start()));
  }

  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop(signal)));
  }

  /**
   * Leader and in-sync replicas of each partition of `topic`, as the nodes still running see them.
   * A leader of -1 means none elected (yet).
   */
  async partitions(topic: string): Promise<{ partition: number; leader: number; isr: number[] }[]> {
    const running: string[] = [];
    for (const n of this.nodes) if (await n.isRunning()) running.push(...n.brokers);
    const kafka = new Kafka({
      clientId: 'sp-infra-cluster',
      brokers: running.length ? running : this.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 5000,
      retry: { retries: 2, initialRetryTime: 100 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      return meta.topics[0].partitions
        .map((p) => ({ partition: p.partitionId, leader: p.leader, isr: p.isr }))
        .sort((a, b) => a.partition - b.partition);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * Waits until `partition` of `topic` has a leader other than `not` (and not none), and answers it.
   * Metadata requests fail for a moment while the cluster notices a node has gone: those are retried.
   */
  async awaitNewLeader(topic: string, partition: number, not: number, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last = 'not asked yet';
    for (;;) {
      try {
        const p = (await this.partitions(topic)).find((x) => x.partition === partition);
        if (p && p.leader >= 0 && p.leader !== not) return p.leader;
        last = `leader ${p?.leader}`;
      } catch (err) {
        last = errorMessage(err);
      }
      if (Date.now() > deadline)
        throw new Error(`${topic}[${partition}] has no new leader after ${timeoutMs} ms (${last})`);
      await sleep(50);
    }
  }
}
