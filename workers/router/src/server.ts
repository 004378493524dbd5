import {
  CONSUMER_GROUPS,
  MessageAccepted,
  MessageStatusChanged,
  TOPICS,
  attemptPolicyFrom,
  createWorkerKafka,
  requireSchema,
  startEventConsumer,
  verifyKafka,
  workerMetrics,
  type ServiceDefinition,
  type WorkerKafka,
} from '@chat4all/common';
import { CassandraMessageStore, newMessageId, verifyCassandra, type MessageStore } from '@chat4all/messages';
import { configSchema } from './config';
import { persistStatusHandler } from './persist';
import { createRouteHandler } from './route';

export const SERVICE_NAME = 'router';

/** Dependencies a test may supply instead of the real ones (which are then not created). */
export interface RouterOverrides {
  store?: MessageStore;
  kafka?: WorkerKafka;
}

/**
 * The router process for the bootstrap: two consumer groups over one store and one bus.
 * - `router` on `messages.accepted`: store, announce SENT, route to the channel's outbound topic, record and announce DELIVERED.
 * - `status-persister` on `messages.status`: apply every status event (DELIVERED, READ, FAILED; SENT is a no-op) to the store.
 * Start refuses an unmigrated keyspace or missing topics. Shutdown (reverse order of registration): the HTTP server,
 * then each consumer finishes its in-flight record and commits, then the bus (producer) and the Cassandra pool close.
 */
export function routerService(overrides: RouterOverrides = {}): ServiceDefinition<typeof configSchema> {
  return {
    name: SERVICE_NAME,
    configSchema,
    async start({ config, log, metrics: registry, onShutdown, addReadinessCheck }) {
      const retry = attemptPolicyFrom(config);
      await requireSchema('cassandra', () => verifyCassandra(config));
      const kafka = overrides.kafka ?? createWorkerKafka(config, log);
      onShutdown('kafka', () => kafka.close());
      await requireSchema('kafka', () => verifyKafka(config, kafka.platformTopics));

      const store = overrides.store ?? (await CassandraMessageStore.connect(config, { consistency: config.CASSANDRA_CONSISTENCY }));
      onShutdown('cassandra message store', () => store.close());

      const metrics = workerMetrics(registry);
      const common = {
        bus: kafka.bus,
        retry,
        concurrency: config.WORKER_CONCURRENCY,
        metrics,
        log,
        lag: { source: kafka.lagSource, intervalMs: config.WORKER_LAG_SAMPLE_MS },
      };
      const router = await startEventConsumer({
        ...common,
        groupId: CONSUMER_GROUPS.router,
        topics: [TOPICS.messagesAccepted],
        schema: MessageAccepted,
        handle: createRouteHandler({ store, bus: kafka.bus, rules: config.ROUTING_RULES }),
      });
      onShutdown('router consumer', () => router.stop());
      const persister = await startEventConsumer({
        ...common,
        groupId: CONSUMER_GROUPS.statusPersister,
        topics: [TOPICS.messagesStatus],
        schema: MessageStatusChanged,
        handle: persistStatusHandler(store),
      });
      onShutdown('status persister consumer', () => persister.stop());

      // A read through the service's own pool (an id nobody has): Cassandra answers, the keyspace is there.
      const probeId = newMessageId(0);
      addReadinessCheck('cassandra', async () => {
        await store.get(probeId);
        return [];
      });
      const neededTopics = [TOPICS.messagesAccepted, TOPICS.messagesStatus].map((t) => kafka.namespace.topic(t));
      addReadinessCheck('kafka', () => verifyKafka(config, neededTopics));
    },
  };
}
