import { z } from 'zod';
import { ConfigError, env } from '../config';
import type { Logger } from '../logging';
import { openEventBus, type BusConfig } from '../bus/open';
import type { EventBus } from '../bus/port';
import { PLATFORM_TOPICS } from '../contracts/topics';
import type { AttemptPolicy } from './backoff';
import type { LagSource } from './lag';
import { TOPIC_PREFIX_PATTERN, namespacedBus, topicNamespace, type TopicNamespace } from './namespace';

/** Variables of every event-consuming worker (router, connectors); spread beside `kafkaEnv`. */
export const workerEnv = {
  /** Put before every topic and group name (see `namespace.ts`); empty in deployments, unique per isolated test run. */
  KAFKA_TOPIC_PREFIX: z.string().regex(TOPIC_PREFIX_PATTERN, "letters, digits, '.', '_' or '-'").default(''),
  /** A member silent for this long loses its partitions (a killed worker's records move on after this). */
  KAFKA_SESSION_TIMEOUT_MS: env.int(30_000, 6_000),
  /** Partitions a consumer handles at the same time; order per conversation holds at any value. */
  WORKER_CONCURRENCY: env.int(3, 1),
  /**
   * Records of one partition handled at the same time, never two of one conversation (order per conversation holds).
   * Each record waits on a database or a platform a few times; this is how a worker keeps many of those waits going.
   */
  WORKER_KEY_CONCURRENCY: env.int(16, 1),
  /** Attempts at a failing record before giving up on it (dead letter, FAILED); 0 = until it succeeds. */
  WORKER_MAX_ATTEMPTS: env.int(5, 0),
  /** Back-off after the first failed attempt; doubles per failure, with jitter. */
  WORKER_RETRY_INITIAL_MS: env.int(200, 0),
  /** Longest back-off; must stay under half the session timeout (nothing heartbeats during a back-off). */
  WORKER_RETRY_MAX_MS: env.int(10_000, 0),
  /** How often the consumer lag metric is sampled from Kafka. */
  WORKER_LAG_SAMPLE_MS: env.int(5_000, 100),
};

export type WorkerConfig = z.infer<z.ZodObject<typeof workerEnv>>;

/** The retry policy the config describes; a back-off that could outlast the session is a configuration error. */
export function attemptPolicyFrom(config: WorkerConfig): AttemptPolicy {
  if (config.WORKER_RETRY_MAX_MS * 2 >= config.KAFKA_SESSION_TIMEOUT_MS) {
    throw new ConfigError(
      'WORKER_RETRY_MAX_MS',
      `must be less than half of KAFKA_SESSION_TIMEOUT_MS (${config.KAFKA_SESSION_TIMEOUT_MS}), or a waiting worker loses its partitions (got "${config.WORKER_RETRY_MAX_MS}")`,
    );
  }
  if (config.WORKER_RETRY_MAX_MS < config.WORKER_RETRY_INITIAL_MS) {
    throw new ConfigError('WORKER_RETRY_MAX_MS', `must be at least WORKER_RETRY_INITIAL_MS (${config.WORKER_RETRY_INITIAL_MS}) (got "${config.WORKER_RETRY_MAX_MS}")`);
  }
  return {
    maxAttempts: config.WORKER_MAX_ATTEMPTS === 0 ? Infinity : config.WORKER_MAX_ATTEMPTS,
    initialDelayMs: config.WORKER_RETRY_INITIAL_MS,
    maxDelayMs: config.WORKER_RETRY_MAX_MS,
  };
}

export interface WorkerBus {
  /** The bus in the worker's namespace: publish and subscribe with contract names. */
  bus: EventBus;
  namespace: TopicNamespace;
  lagSource: LagSource;
  /** Names the contract topics (default: every platform topic) missing in the worker's namespace; empty: ready. */
  missingTopics(topics?: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

/** A worker's bus (whichever adapter the profile picks), namespaced, with the configured session timing and a lag source. */
export async function openWorkerBus(config: BusConfig & WorkerConfig, log: Logger): Promise<WorkerBus> {
  const namespace = topicNamespace(config.KAFKA_TOPIC_PREFIX);
  const inner = await openEventBus(config, log, {
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    kafka: {
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: Math.min(3_000, Math.floor(config.KAFKA_SESSION_TIMEOUT_MS / 10)),
    },
  });
  const lagSource = inner.lagSource(namespace);
  return {
    bus: namespacedBus(inner, namespace),
    namespace,
    lagSource,
    missingTopics: (topics = PLATFORM_TOPICS) => inner.missingTopics(topics.map((t) => namespace.topic(t))),
    close: async () => {
      await Promise.all([inner.close(), lagSource.close()]);
    },
  };
}
