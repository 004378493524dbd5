import type { z } from 'zod';
import type { BusConfig } from '../bus/open';
import { MessageOutbound, type Channel } from '../contracts/events';
import { TOPICS, connectorGroup, deadLetterTopic, outboundTopic } from '../contracts/topics';
import type { Logger } from '../logging';
import { requireSchema, type BootstrapConfig, type ServiceDefinition } from '../service/service';
import { attemptPolicyFrom, openWorkerBus, startEventConsumer, workerMetrics, type WorkerConfig } from '../worker';
import { CircuitBreaker } from './breaker';
import type { ConnectorConfig } from './config';
import { FilesSubgraphLinks, type FileLinks } from './files';
import { ConnectorMetrics } from './metrics';
import { OutboundSender } from './outbound';
import type { ChannelConnector } from './port';
import type { PlatformMessageRefs } from './refs';
import { ReplayGuard } from './replay';
import { WebhookReceiver } from './webhook';

/** The config every connector's schema must produce (its own platform keys come on top). */
export type ConnectorServiceConfig = BootstrapConfig & BusConfig & WorkerConfig & ConnectorConfig;

export interface ConnectorServiceSpec<S extends z.ZodObject> {
  /** Service name in logs and metrics, e.g. `whatsapp`. */
  name: string;
  channel: Channel;
  configSchema: S;
  createConnector(config: z.infer<S>): ChannelConnector;
  /**
   * Opens the durable platform-id → message map, for a platform whose webhooks do not echo metadata. Should refuse to
   * start (throw `StartupError`) when its schema is not migrated.
   */
  openRefs?(config: z.infer<S>, log: Logger): Promise<PlatformMessageRefs>;
}

/** Dependencies a test may supply instead of the real ones. */
export interface ConnectorOverrides {
  connector?: ChannelConnector;
  files?: FileLinks;
  refs?: PlatformMessageRefs;
}

/**
 * Any channel connector as a service for the bootstrap: consumes `messages.outbound.<channel>` in the group
 * `connector-<channel>` through the worker runtime (validation, bounded retries with back-off and jitter, dead
 * letters, lag metrics), sends through the connector behind a circuit breaker, and serves the platform's webhooks on
 * PORT. Honours `KAFKA_TOPIC_PREFIX` for every topic and group it uses.
 */
export function connectorService<S extends z.ZodObject>(
  spec: ConnectorServiceSpec<S>,
  overrides: ConnectorOverrides = {},
): ServiceDefinition<S> {
  return {
    name: spec.name,
    configSchema: spec.configSchema,
    async start({ config: parsed, log, metrics: registry, onShutdown, addReadinessCheck }) {
      // The schema's output carries these keys (it spreads the fragments); zod's generic cannot say so.
      const config = parsed as z.infer<S> & ConnectorServiceConfig;
      const connector = overrides.connector ?? spec.createConnector(parsed);
      const groupId = connectorGroup(spec.channel);
      const source = groupId; // `connector-whatsapp`: who observed the statuses

      const kafka = await openWorkerBus(config, log);
      onShutdown('event bus', () => kafka.close());
      const topics = [outboundTopic(spec.channel), TOPICS.messagesStatus, deadLetterTopic(groupId)];
      await requireSchema('event bus', () => kafka.missingTopics(topics));
      addReadinessCheck('event bus', () => kafka.missingTopics(topics));

      let refs = overrides.refs;
      if (!refs && !connector.echoesMetadata) {
        if (!spec.openRefs) throw new Error(`the ${spec.channel} connector needs a platform message id store (openRefs)`);
        refs = await spec.openRefs(parsed, log);
      }
      if (refs) {
        onShutdown('platform message refs', () => refs.close());
        const { ping } = refs;
        if (ping) addReadinessCheck('platform message refs', () => ping.call(refs));
      }

      const files =
        overrides.files ??
        new FilesSubgraphLinks({
          url: config.SUBGRAPH_FILES_URL,
          identitySigningKey: config.IDENTITY_SIGNING_KEY,
          service: source,
          timeoutMs: config.SEND_TIMEOUT_MS,
        });

      const connectorMetrics = new ConnectorMetrics(registry);
      connectorMetrics.setCircuitState(spec.channel, 'closed');
      const breaker = new CircuitBreaker(spec.channel, {
        failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD,
        cooldownMs: config.CIRCUIT_COOLDOWN_MS,
        onStateChange: (state, previous) => {
          connectorMetrics.setCircuitState(spec.channel, state);
          log[state === 'open' ? 'warn' : 'info']({ channel: spec.channel, state, previous }, 'platform circuit changed state');
        },
      });
      const metrics = workerMetrics(registry);
      const sender = new OutboundSender({
        connector,
        breaker,
        ...(refs ? { refs } : {}),
        files,
        bus: kafka.bus,
        groupId,
        source,
        metrics: connectorMetrics,
        workerMetrics: metrics,
        log,
      });
      const consumer = await startEventConsumer({
        bus: kafka.bus,
        groupId,
        topics: [outboundTopic(spec.channel)],
        schema: MessageOutbound,
        handle: (event, context) => sender.handle(event, context),
        onGiveUp: (event, error, context) => sender.giveUp(event, error, context),
        retry: attemptPolicyFrom(config),
        concurrency: config.WORKER_CONCURRENCY,
        keyConcurrency: config.WORKER_KEY_CONCURRENCY,
        metrics,
        log,
        lag: { source: kafka.lagSource, intervalMs: config.WORKER_LAG_SAMPLE_MS },
      });
      // Runs before 'event bus' closes (reverse order): the in-flight send finishes and commits first.
      onShutdown('outbound consumer', () => consumer.stop());

      const receiver = new WebhookReceiver({
        connector,
        ...(refs ? { refs } : {}),
        guard: new ReplayGuard({ windowMs: config.WEBHOOK_REPLAY_WINDOW_SECONDS * 1000, maxEntries: config.WEBHOOK_DEDUPE_MAX_ENTRIES }),
        bus: kafka.bus,
        source,
        maxBodyBytes: config.WEBHOOK_MAX_BODY_BYTES,
        metrics: connectorMetrics,
        log,
      });
      return { handler: receiver.handler };
    },
  };
}
