import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import type { KafkaConfig } from '../config';
import { PLATFORM_TOPICS } from '../contracts/topics';
import { createLogger, type Logger } from '../logging';
import { createKafkaClient } from './kafka';

export type KafkaMigrationLog = Pick<Logger, 'info' | 'warn'>;

export interface TopicSpec {
  partitions: number;
  replicationFactor: number;
}

async function withAdmin<T>(config: KafkaConfig, log: Logger, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createKafkaClient(config, log).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

const RETRIABLE_METADATA_ERRORS = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/**
 * Waits until every partition of the topics has a leader. A KRaft broker can answer UNKNOWN_TOPIC_OR_PARTITION for a
 * topic it has just created (its metadata cache lags the controller by a moment), which kafkajs's
 * `createTopics({ waitForLeaders: true })` treats as fatal; this loop treats it as "not yet".
 */
async function waitForLeaders(admin: Admin, topics: readonly string[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const listed = new Set(await admin.listTopics());
      if (topics.every((t) => listed.has(t))) {
        const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
        if (metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      }
    } catch (error) {
      if (!RETRIABLE_METADATA_ERRORS.has(String((error as { type?: unknown }).type))) throw error;
    }
    if (Date.now() > deadline) throw new Error(`Kafka topics ${topics.join(', ')} have no leader after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * Creates the named topics that do not exist yet and returns the names it created. Existing topics are left alone:
 * adding partitions would move keys to other partitions and break per-key order, so a mismatch is only reported.
 */
export async function ensureTopics(
  config: KafkaConfig,
  topics: readonly string[],
  spec: TopicSpec,
  log: KafkaMigrationLog = createLogger('kafka-admin', 'silent'),
): Promise<string[]> {
  const kafkaLog = createLogger('kafka-admin', 'warn');
  return withAdmin(config, kafkaLog, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) {
      const metadata = await admin.fetchTopicMetadata({ topics: present });
      for (const { name, partitions } of metadata.topics) {
        if (partitions.length !== spec.partitions) {
          log.warn({ topic: name, partitions: partitions.length, wanted: spec.partitions }, 'topic exists with another partition count; left as it is');
        }
      }
    }
    if (missing.length > 0) {
      await admin.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: spec.partitions, replicationFactor: spec.replicationFactor })),
        // kafkajs's own wait retries only LEADER_NOT_AVAILABLE; see waitForLeaders.
        waitForLeaders: false,
      });
      await waitForLeaders(admin, missing);
      log.info({ topics: missing, partitions: spec.partitions, replicationFactor: spec.replicationFactor }, 'kafka topics created');
    }
    return missing;
  });
}

/** Removes topics (tests clean up after themselves this way). Missing names are ignored. */
export async function deleteTopics(config: KafkaConfig, topics: readonly string[]): Promise<void> {
  await withAdmin(config, createLogger('kafka-admin', 'warn'), async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  });
}

/** Creates every platform topic that is missing, with the configured partitions and replication. Idempotent. */
export async function migrateKafka(config: KafkaConfig, log: KafkaMigrationLog): Promise<void> {
  const created = await ensureTopics(
    config,
    PLATFORM_TOPICS,
    { partitions: config.KAFKA_TOPIC_PARTITIONS, replicationFactor: config.KAFKA_REPLICATION_FACTOR },
    log,
  );
  if (created.length === 0) log.info({ topics: PLATFORM_TOPICS.length }, 'kafka topics already present');
}

/** Names of the platform topics (or `topics`) that do not exist; empty: ready. Throws when no broker answers. */
export async function verifyKafka(config: KafkaConfig, topics: readonly string[] = PLATFORM_TOPICS): Promise<string[]> {
  return withAdmin(config, createLogger('kafka-admin', 'warn'), async (admin) => {
    const existing = new Set(await admin.listTopics());
    return topics.filter((t) => !existing.has(t)).map((t) => `Kafka topic ${t}`);
  });
}
