import {
  CONSUMER_GROUPS,
  MessageAccepted,
  MessageStatusChanged,
  TOPICS,
  attemptPolicyFrom,
  openWorkerBus,
  requireSchema,
  startEventConsumer,
  workerMetrics,
  type ServiceDefinition,
  type WorkerBus,
} from '@chat4all/common';
import { openMessageStore, opened, type MessageStore } from '@chat4all/messages';
import { configSchema } from './config';
import { persistStatusHandler } from './persist';
import { createRouteHandler } from './route';

export const SERVICE_NAME = 'router';

/** Dependencies a test may supply instead of the real ones (which are then not created). */
export interface RouterOverrides {
  store?: MessageStore;
  kafka?: WorkerBus;
}

/**
 * The router process for the bootstrap: two consumer groups over one store and one bus.
 * - `router` on `messages.accepted`: store, announce SENT, route to the channel's outbound topic, record and announce DELIVERED.
 * - `status-persister` on `messages.status`: apply every status event (DELIVERED, READ, FAILED; SENT is a no-op) to the store.
 * Store and bus are the profile's (see the factories). Start refuses an unmigrated store or missing topics. Shutdown
 * (reverse order of registration): the HTTP server, then each consumer finishes its in-flight record and commits, then
 * the store and the bus close.
 */
export function routerService(overrides: RouterOverrides = {}): ServiceDefinition<typeof configSchema> {
  return {
    name: SERVICE_NAME,
    configSchema,
    async start({ config, log, metrics: registry, onShutdown, addReadinessCheck }) {
      const retry = attemptPolicyFrom(config);
      const kafka = overrides.kafka ?? (await openWorkerBus(config, log));
      onShutdown('event bus', () => kafka.close());
      await requireSchema('event bus', () => kafka.missingTopics());

      const store = overrides.store ?? (await opened(openMessageStore(config, log), addReadinessCheck));
      onShutdown('message store', () => store.close());

      const metrics = workerMetrics(registry);
      const common = {
        bus: kafka.bus,
        retry,
        concurrency: config.WORKER_CONCURRENCY,
        keyConcurrency: config.WORKER_KEY_CONCURRENCY,
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

      addReadinessCheck('event bus', () => kafka.missingTopics([TOPICS.messagesAccepted, TOPICS.messagesStatus]));
    },
  };
}
