import type { Admin } from 'kafkajs';
import type { KafkaConfig } from '../config';
import type { Logger } from '../logging';
import { createKafkaClient } from '../bus/kafka';
import type { WorkerMetrics } from './metrics';
import { topicNamespace, type TopicNamespace } from './namespace';

export interface PartitionLag {
  /** Contract name (without the namespace prefix). */
  topic: string;
  partition: number;
  /** Records on the partition after the group's committed offset. */
  lag: number;
}

/** Where a consumer group's lag comes from; the bus port does not expose offsets, so this is a port of its own. */
export interface LagSource {
  lag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]>;
  close(): Promise<void>;
}

/**
 * Lag from Kafka's own bookkeeping: each partition's end offset minus the group's committed offset (a partition the
 * group never committed counts from its earliest retained record, where a `fromBeginning` consumer starts).
 */
export class KafkaLagSource implements LagSource {
  private admin: Promise<Admin> | undefined;

  constructor(
    private readonly config: KafkaConfig,
    private readonly log: Logger,
    private readonly namespace: TopicNamespace = topicNamespace(),
  ) {}

  async lag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    const admin = await this.connect();
    const physical = topics.map((t) => this.namespace.topic(t));
    const committed = await admin.fetchOffsets({ groupId: this.namespace.group(groupId), topics: physical });
    const result: PartitionLag[] = [];
    for (const topic of physical) {
      const ends = await admin.fetchTopicOffsets(topic);
      const group = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const end of ends) {
        const commit = group.find((p) => p.partition === end.partition)?.offset ?? '-1';
        const from = BigInt(commit) >= 0n ? BigInt(commit) : BigInt(end.low);
        const lag = BigInt(end.high) - from;
        result.push({ topic: this.namespace.localTopic(topic), partition: end.partition, lag: Number(lag > 0n ? lag : 0n) });
      }
    }
    return result;
  }

  async close(): Promise<void> {
    const admin = await this.admin?.catch(() => undefined);
    this.admin = undefined;
    await admin?.disconnect();
  }

  private connect(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = createKafkaClient(this.config, this.log).admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.admin = undefined;
      throw error;
    });
    return this.admin;
  }
}

/** Lag from the embedded bus's files (end of each partition's log minus the group's committed offset). */
export class EmbeddedLagSource implements LagSource {
  constructor(
    private readonly bus: { lag(groupId: string, topic: string): Promise<{ partition: number; lag: number }[]> },
    private readonly namespace: TopicNamespace = topicNamespace(),
  ) {}

  async lag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    const result: PartitionLag[] = [];
    for (const topic of topics) {
      for (const { partition, lag } of await this.bus.lag(this.namespace.group(groupId), this.namespace.topic(topic))) result.push({ topic, partition, lag });
    }
    return result;
  }

  async close(): Promise<void> {
    // Nothing of its own: the bus belongs to whoever opened it.
  }
}

export interface LagSamplerOptions {
  source: LagSource;
  metrics: WorkerMetrics;
  groupId: string;
  topics: readonly string[];
  intervalMs: number;
  log: Logger;
}

export interface LagSampler {
  /** One sample now (also what the timer runs); never rejects. */
  sample(): Promise<void>;
  stop(): void;
}

/**
 * Samples a group's lag into the `chat4all_worker_consumer_lag` gauge on a timer, off the request path (a scrape
 * never waits for Kafka). A failing sample is logged once per failure streak and leaves the last values in place;
 * `chat4all_worker_consumer_lag_sampled_at_seconds` shows how old they are.
 */
export function startLagSampler(options: LagSamplerOptions): LagSampler {
  const { source, metrics, groupId, topics, log } = options;
  let failing = false;
  let running: Promise<void> | undefined;
  const sample = (): Promise<void> => {
    running ??= (async () => {
      try {
        for (const { topic, partition, lag } of await source.lag(groupId, topics)) {
          metrics.lag.set({ group: groupId, topic, partition: String(partition) }, lag);
        }
        metrics.lagSampledAt.set({ group: groupId }, Date.now() / 1000);
        if (failing) log.info({ groupId }, 'consumer lag sampling works again');
        failing = false;
      } catch (error) {
        if (!failing) log.warn({ groupId, err: error }, 'consumer lag sampling failed');
        failing = true;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void sample(), options.intervalMs);
  timer.unref();
  void sample();
  return { sample, stop: () => clearInterval(timer) };
}
