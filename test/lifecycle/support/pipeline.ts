import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  EVENT_VERSION,
  MessageAccepted,
  PLATFORM_TOPICS,
  cassandraEnv,
  createKafkaBus,
  createLogger,
  deleteTopics,
  encodeEvent,
  ensureTopics,
  loadConfig,
  namespacedBus,
  newUuidV7,
  topicNamespace,
  TOPICS,
  type EventBus,
} from '@chat4all/common';
import { CassandraMessageStore, migrateCassandra, type Message } from '@chat4all/messages';
import type { SimulatedMessage } from '../../common/src/connector/simulator';
import { kafkaConfig, requireKafka } from '../../common/test/support/connector-scenario';
import { ServiceProcess, freePort, waitReady } from '../../common/test/support/processes';

const log = createLogger('lifecycle-test', process.env.TEST_LOG_LEVEL ?? 'error');

export interface PipelineOptions {
  /** Behaviour of both platform simulators (latency, failure rate). */
  simulatorEnv?: Record<string, string>;
  /** Extra settings for both connectors (retry budget, breaker). */
  connectorEnv?: Record<string, string>;
}

type Channel = 'whatsapp' | 'instagram';

/**
 * The whole lifecycle behind the API, every worker its own process: the router, both connectors and both platform
 * simulators, on topics of their own (a fresh KAFKA_TOPIC_PREFIX) and a dedicated Cassandra keyspace. Tests publish
 * `MessageAccepted` events as the messages subgraph does and read the outcome from Cassandra and the simulators.
 */
export class Pipeline {
  readonly namespace = topicNamespace(`test-life-${randomUUID().slice(0, 8)}.`);
  readonly cassandra = loadConfig(z.object(cassandraEnv), { ...process.env, CASSANDRA_KEYSPACE: 'chat4all_lifecycle' });
  store!: CassandraMessageStore;
  router!: ServiceProcess;
  readonly connectors = {} as Record<Channel, ServiceProcess>;
  readonly simulators = {} as Record<Channel, ServiceProcess>;
  private bus!: EventBus;
  private readonly ports = { router: 0, whatsapp: 0, instagram: 0, whatsappSimulator: 0, instagramSimulator: 0 };
  private readonly topics = PLATFORM_TOPICS.map((t) => this.namespace.topic(t));

  constructor(private readonly options: PipelineOptions = {}) {}

  static async start(options: PipelineOptions = {}): Promise<Pipeline> {
    const pipeline = new Pipeline(options);
    try {
      await pipeline.begin();
    } catch (error) {
      await pipeline.close();
      throw error;
    }
    return pipeline;
  }

  private async begin(): Promise<void> {
    await requireKafka();
    await migrateCassandra(this.cassandra, log);
    await ensureTopics(kafkaConfig, this.topics, { partitions: 3, replicationFactor: kafkaConfig.KAFKA_REPLICATION_FACTOR });
    this.store = await CassandraMessageStore.connect(this.cassandra);
    this.bus = namespacedBus(createKafkaBus(kafkaConfig, log), this.namespace);
    for (const key of Object.keys(this.ports) as (keyof typeof this.ports)[]) this.ports[key] = await freePort();
    for (const channel of ['whatsapp', 'instagram'] as const) this.simulators[channel] = this.spawnSimulator(channel);
    for (const channel of ['whatsapp', 'instagram'] as const) this.connectors[channel] = this.spawnConnector(channel);
    this.router = this.spawnRouter();
    await this.waitAllReady();
  }

  private workerEnv(port: number): Record<string, string> {
    return {
      CHAT4ALL_PROFILE: 'local',
      LOG_LEVEL: 'info',
      PORT: String(port),
      KAFKA_TOPIC_PREFIX: this.namespace.prefix,
      CASSANDRA_KEYSPACE: this.cassandra.CASSANDRA_KEYSPACE,
      // A killed member's partitions move to its successor after this long.
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      WORKER_RETRY_INITIAL_MS: '20',
      WORKER_RETRY_MAX_MS: '200',
      WORKER_LAG_SAMPLE_MS: '1000',
    };
  }

  private platformEnv(channel: Channel): Record<string, string> {
    const connector = `http://127.0.0.1:${this.ports[channel]}/webhook`;
    const api = `http://127.0.0.1:${this.ports[`${channel}Simulator`]}`;
    return channel === 'whatsapp'
      ? { WHATSAPP_API_URL: api, WHATSAPP_WEBHOOK_URL: connector, WHATSAPP_TOKEN: 'life-wa-token', WHATSAPP_APP_SECRET: 'life-wa-secret' }
      : { INSTAGRAM_API_URL: api, INSTAGRAM_WEBHOOK_URL: connector, INSTAGRAM_TOKEN: 'life-ig-token', INSTAGRAM_APP_SECRET: 'life-ig-secret' };
  }

  private spawnSimulator(channel: Channel): ServiceProcess {
    return new ServiceProcess(`${channel}-simulator`, `connectors/${channel}/src/simulator/main.ts`, {
      CHAT4ALL_PROFILE: 'local',
      LOG_LEVEL: 'info',
      PORT: String(this.ports[`${channel}Simulator`]),
      SIM_LATENCY_MIN_MS: '5',
      SIM_LATENCY_MAX_MS: '20',
      ...this.platformEnv(channel),
      ...this.options.simulatorEnv,
    });
  }

  private spawnConnector(channel: Channel): ServiceProcess {
    return new ServiceProcess(`${channel}-connector`, `connectors/${channel}/src/main.ts`, {
      ...this.workerEnv(this.ports[channel]),
      KAFKA_CLIENT_ID: `life-${channel}`,
      CIRCUIT_COOLDOWN_MS: '300',
      SEND_TIMEOUT_MS: '3000',
      ...this.platformEnv(channel),
      ...this.options.connectorEnv,
    });
  }

  private spawnRouter(): ServiceProcess {
    return new ServiceProcess('router', 'workers/router/src/main.ts', { ...this.workerEnv(this.ports.router), KAFKA_CLIENT_ID: 'life-router' });
  }

  private async waitAllReady(): Promise<void> {
    await Promise.all([
      waitReady(this.router, `${this.url('router')}/readyz`),
      waitReady(this.connectors.whatsapp, `${this.url('whatsapp')}/readyz`),
      waitReady(this.connectors.instagram, `${this.url('instagram')}/readyz`),
      waitReady(this.simulators.whatsapp, `${this.url('whatsappSimulator')}/healthz`),
      waitReady(this.simulators.instagram, `${this.url('instagramSimulator')}/healthz`),
    ]);
  }

  url(service: keyof Pipeline['ports']): string {
    return `http://127.0.0.1:${this.ports[service]}`;
  }

  /** Starts again, on the same ports and topics, whichever of the router and connectors is not running. */
  async restartStopped(): Promise<void> {
    if (!this.router.running) this.router = this.spawnRouter();
    for (const channel of ['whatsapp', 'instagram'] as const) {
      if (!this.connectors[channel].running) this.connectors[channel] = this.spawnConnector(channel);
    }
    await this.waitAllReady();
  }

  /**
   * `perConversation` accepted messages in each conversation, interleaved, as the messages subgraph publishes them
   * (key = conversation id). Every third message starts with `@`, which the default rules route to Instagram.
   */
  accepted(conversations: readonly string[], perConversation: number): MessageAccepted[] {
    const events: MessageAccepted[] = [];
    for (let n = 0; n < perConversation; n++) {
      for (const conversationId of conversations) {
        const content = n % 3 === 0 ? `@ig message ${n}` : `message ${n}`;
        events.push({ version: EVENT_VERSION, messageId: newUuidV7(), conversationId, senderId: 'life-sender', content, createdAt: new Date().toISOString() });
      }
    }
    return events;
  }

  async publish(events: readonly MessageAccepted[]): Promise<void> {
    await this.bus.publish(
      TOPICS.messagesAccepted,
      events.map((e) => ({ key: e.conversationId, value: encodeEvent(MessageAccepted, e) })),
    );
  }

  /** The stored messages, one per id (null where the router has not stored it yet). */
  async stored(ids: readonly string[]): Promise<(Message | null)[]> {
    const result: (Message | null)[] = [];
    for (let i = 0; i < ids.length; i += 100) result.push(...(await this.store.getMany(ids.slice(i, i + 100))));
    return result;
  }

  /** Every message of a conversation, newest first, paging through the whole history. */
  async history(conversationId: string): Promise<Message[]> {
    const all: Message[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.store.listByConversation(conversationId, { first: 50, ...(after ? { after } : {}) });
      all.push(...page.items);
      if (!page.hasNextPage || !page.endCursor) return all;
      after = page.endCursor;
    }
  }

  async platformMessages(channel: Channel): Promise<SimulatedMessage[]> {
    const res = await fetch(`${this.url(`${channel}Simulator`)}/_simulator/messages`);
    return ((await res.json()) as { messages: SimulatedMessage[] }).messages;
  }

  async metrics(service: 'router' | Channel): Promise<string> {
    return (await fetch(`${this.url(service)}/metrics`)).text();
  }

  explain(): string {
    return [this.router, ...Object.values(this.connectors), ...Object.values(this.simulators)]
      .filter(Boolean)
      .map((p) => p.tail(15))
      .join('\n');
  }

  async close(): Promise<void> {
    await Promise.all([this.router, ...Object.values(this.connectors), ...Object.values(this.simulators)].filter(Boolean).map((p) => p.stop()));
    await this.bus?.close();
    await this.store?.close();
    await deleteTopics(kafkaConfig, this.topics).catch(() => undefined);
  }
}
