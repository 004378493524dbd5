import type { KafkaConfig, ServiceConfig } from '../config';
import { embeddedDataDir, embeddedProfile } from '../config';
import { PLATFORM_TOPICS } from '../contracts/topics';
import type { Logger } from '../logging';
import { EmbeddedLagSource, KafkaLagSource, type LagSource } from '../worker/lag';
import { topicNamespace, type TopicNamespace } from '../worker/namespace';
import { createEmbeddedBus, ensureEmbeddedTopics, verifyEmbeddedTopics, type EmbeddedBus } from './embedded';
import { createKafkaBus, type KafkaBusOptions } from './kafka';
import { verifyKafka } from './kafka-admin';
import type { EventBus, ReadOptions, Reader, SubscribeOptions, Subscription } from './port';

export type BusConfig = KafkaConfig & Pick<ServiceConfig, 'CHAT4ALL_PROFILE' | 'CHAT4ALL_DATA_DIR'>;

/** A service's bus, whichever adapter the profile picked, with what the services need besides the port itself. */
export interface OpenedBus extends EventBus {
  /** Names the topics (physical names; default: the platform topics) that do not exist. Empty: ready. */
  missingTopics(topics?: readonly string[]): Promise<string[]>;
  /** Where a group's lag comes from, for the worker metrics; closed by the caller. */
  lagSource(namespace?: TopicNamespace): LagSource;
}

export interface OpenBusOptions {
  /** Consumer timings of the Kafka adapter. */
  kafka?: KafkaBusOptions;
  /**
   * A worker's topic prefix (`KAFKA_TOPIC_PREFIX`): the embedded bus creates the platform topics under it too, since
   * there is no migration step in that profile.
   */
  topicPrefix?: string;
}

/**
 * The one factory of the event bus port: Kafka, or in the embedded profile the file-backed bus in
 * `<CHAT4ALL_DATA_DIR>/bus`, which creates the platform topics on open. The embedded folder belongs to one process
 * (its lock), so every service of that process shares one instance: each caller gets a handle whose `close` stops only
 * the subscriptions it made, and the last handle closed closes the bus.
 */
export async function openEventBus(config: BusConfig, log: Logger, options: OpenBusOptions = {}): Promise<OpenedBus> {
  if (!embeddedProfile(config)) {
    const bus = createKafkaBus(config, log, options.kafka);
    return {
      publish: (topic, records) => bus.publish(topic, records),
      subscribe: (subscribe) => bus.subscribe(subscribe),
      offsets: (topic) => bus.offsets(topic),
      read: (read) => bus.read(read),
      close: () => bus.close(),
      missingTopics: (topics) => verifyKafka(config, topics),
      lagSource: (namespace) => new KafkaLagSource(config, log, namespace),
    };
  }
  const dataDir = embeddedDataDir(config, 'bus');
  const shared = acquireEmbedded(dataDir, log);
  try {
    const bus = await shared.bus;
    const topics = PLATFORM_TOPICS.map((t) => topicNamespace(options.topicPrefix).topic(t));
    await shared.serialize(() => ensureEmbeddedTopics(dataDir, topics, { partitions: config.KAFKA_TOPIC_PARTITIONS }, log));
    return sharedHandle(bus, shared);
  } catch (error) {
    await shared.release();
    throw error;
  }
}

interface SharedEmbedded {
  bus: Promise<EmbeddedBus>;
  /** Runs topic creation one caller at a time (two creators of one topic would race on its files). */
  serialize<T>(run: () => Promise<T>): Promise<T>;
  release(): Promise<void>;
}

const openEmbedded = new Map<string, { bus: Promise<EmbeddedBus>; holders: number; queue: Promise<unknown> }>();

function acquireEmbedded(dataDir: string, log: Logger): SharedEmbedded {
  let entry = openEmbedded.get(dataDir);
  if (!entry) {
    entry = { bus: Promise.resolve().then(() => createEmbeddedBus({ dataDir, log: log.child({ component: 'embedded-bus' }) })), holders: 0, queue: Promise.resolve() };
    openEmbedded.set(dataDir, entry);
  }
  entry.holders += 1;
  const held = entry;
  let released = false;
  return {
    bus: held.bus,
    serialize(run) {
      const next = held.queue.then(run);
      held.queue = next.catch(() => undefined);
      return next;
    },
    async release() {
      if (released) return;
      released = true;
      held.holders -= 1;
      if (held.holders > 0) return;
      openEmbedded.delete(dataDir);
      const bus = await held.bus.catch(() => undefined);
      await bus?.close();
    },
  };
}

function sharedHandle(bus: EmbeddedBus, shared: SharedEmbedded): OpenedBus {
  // Subscriptions and readers this handle made (both have the one `stop`), so its close stops only these.
  const mine = new Set<Subscription | Reader>();
  const track = <T extends Subscription | Reader>(started: T): T => {
    mine.add(started);
    return {
      ...started,
      stop: async () => {
        await started.stop();
        mine.delete(started);
      },
    };
  };
  return {
    publish: (topic, records) => bus.publish(topic, records),
    subscribe: async (options: SubscribeOptions) => track(await bus.subscribe(options)),
    offsets: (topic) => bus.offsets(topic),
    read: async (options: ReadOptions) => track(await bus.read(options)),
    async close() {
      await Promise.all([...mine].map((s) => s.stop()));
      mine.clear();
      await shared.release();
    },
    missingTopics: (topics = PLATFORM_TOPICS) => verifyEmbeddedTopics(bus.dataDir, topics),
    lagSource: (namespace) => new EmbeddedLagSource(bus, namespace),
  };
}
