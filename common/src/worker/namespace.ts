import type { EventBus, SubscribeOptions } from '../bus/port';

/**
 * A prefix put before every Kafka topic and consumer group a worker uses, so a test run (or a second environment on
 * one cluster) gets topics and groups of its own while the code keeps using the names from `contracts/topics.ts`.
 * Empty in a normal deployment. Only the workers (router, connectors) honour it; the API services publish to the plain
 * names, so a prefixed worker only sees what a test publishes to the prefixed topics itself.
 */
export interface TopicNamespace {
  readonly prefix: string;
  /** The physical topic for a contract name. */
  topic(name: string): string;
  /** The physical consumer group id for a contract group. */
  group(name: string): string;
  /** The contract name of a physical topic (the inverse of `topic`). */
  localTopic(physical: string): string;
}

export const TOPIC_PREFIX_PATTERN = /^[A-Za-z0-9._-]{0,100}$/;

export function topicNamespace(prefix = ''): TopicNamespace {
  if (!TOPIC_PREFIX_PATTERN.test(prefix)) throw new RangeError(`invalid topic prefix "${prefix}" (letters, digits, '.', '_', '-')`);
  return {
    prefix,
    topic: (name) => prefix + name,
    group: (name) => prefix + name,
    localTopic: (physical) => (prefix !== '' && physical.startsWith(prefix) ? physical.slice(prefix.length) : physical),
  };
}

/** The bus seen through a namespace: callers use contract names, the underlying bus sees prefixed ones. */
export function namespacedBus(bus: EventBus, namespace: TopicNamespace): EventBus {
  if (namespace.prefix === '') return bus;
  return {
    publish: (topic, records) => bus.publish(namespace.topic(topic), records),
    subscribe: (options: SubscribeOptions) =>
      bus.subscribe({
        ...options,
        groupId: namespace.group(options.groupId),
        topics: options.topics.map((t) => namespace.topic(t)),
        handler: (record) => options.handler({ ...record, topic: namespace.localTopic(record.topic) }),
      }),
    offsets: (topic) => bus.offsets(namespace.topic(topic)),
    read: (options) =>
      bus.read({ ...options, topic: namespace.topic(options.topic), handler: (record) => options.handler({ ...record, topic: namespace.localTopic(record.topic) }) }),
    close: () => bus.close(),
  };
}
