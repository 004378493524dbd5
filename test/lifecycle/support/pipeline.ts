import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  MessageStatusChanged,
  PLATFORM_TOPICS,
  TOPICS,
  cassandraEnv,
  connectorGroup,
  createKafkaBus,
  createLogger,
  deadLetterTopic,
  decodeEvent,
  deleteTopics,
  ensureTopics,
  loadConfig,
  namespacedBus,
  topicNamespace,
  type BusRecord,
  type Channel,
  type EventBus,
  type MessageAccepted,
  type SimulatedMessage,
  type SimulatorStats,
} from '@chat4all/common';
import { CassandraMessageStore, messageFromAccepted, migrateCassandra, publishAccepted } from '@chat4all/messages';
import { spawnConnector, spawnSimulator, type ChannelPorts, type ObservedStatus } from '../../../common/test/support/connector-scenario';
import { kafkaConfig, requireKafka } from '../../../common/test/support/kafka';
import { fetchMetrics, freePort, waitReady, type ServiceProcess } from '../../../common/test/support/processes';
import { startRouterProcess, type RouterProcess } from '../../../workers/router/test/support/router-process';
import { CHANNELS, CHANNEL_PROCESSES, plannedAccepted, type ChannelOptions, type LifecycleHarness } from './harness';

const log = createLogger('lifecycle-test', process.env.TEST_LOG_LEVEL ?? 'error');

/** The keyspace of these tests, apart from the application's; fresh conversation ids keep runs apart inside it. */
const KEYSPACE = 'chat4all_lifecycle';

/**
 * The whole lifecycle behind the API on the real engines, every worker its own process: the router, both connectors
 * and both platform simulators, on topics of their own (one fresh KAFKA_TOPIC_PREFIX, topics created here and deleted
 * by `close`) and a dedicated Cassandra keyspace (migrated by `start`). Tests publish `MessageAccepted` as the
 * messages subgraph does (it publishes to the plain topic names, so it cannot feed prefixed workers) and read the
 * outcome from Cassandra, the simulators, and observers on the status and connector dead-letter topics.
 */
export class Pipeline implements LifecycleHarness {
  readonly namespace = topicNamespace(`test-life-${randomUUID().slice(0, 8)}.`);
  readonly cassandra = { ...loadConfig(z.object(cassandraEnv)), CASSANDRA_KEYSPACE: KEYSPACE };
  /** Every status event on the run's status topic, in arrival order (per partition: topic order). */
  readonly statuses: ObservedStatus[] = [];
  /** Records on each connector group's dead-letter topic. */
  readonly deadLetters: Record<Channel, BusRecord[]> = { WHATSAPP: [], INSTAGRAM: [] };
  store!: CassandraMessageStore;
  router!: RouterProcess;
  readonly connectors = {} as Record<Channel, ServiceProcess>;
  readonly simulators = {} as Record<Channel, ServiceProcess>;
  readonly ports = {} as Record<Channel, ChannelPorts>;
  private bus!: EventBus;
  private readonly topics = PLATFORM_TOPICS.map((t) => this.namespace.topic(t));

  private constructor(private options: ChannelOptions) {}

  static async start(options: ChannelOptions = {}): Promise<Pipeline> {
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
    try {
      await migrateCassandra(this.cassandra, log);
    } catch (error) {
      throw new Error(`Cassandra is not reachable at ${this.cassandra.CASSANDRA_CONTACT_POINTS.join(',')} (start it with \`npm run infra:up\`): ${String(error)}`);
    }
    await ensureTopics(kafkaConfig, this.topics, { partitions: 3, replicationFactor: kafkaConfig.KAFKA_REPLICATION_FACTOR });
    this.store = await CassandraMessageStore.connect(this.cassandra);
    this.bus = namespacedBus(createKafkaBus(kafkaConfig, log, { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitTimeMs: 200 }), this.namespace);
    await this.bus.subscribe({
      groupId: 'observer-status',
      topics: [TOPICS.messagesStatus],
      fromBeginning: true,
      concurrency: 3,
      handler: async (record) => {
        this.statuses.push({ ...decodeEvent(MessageStatusChanged, record.value), partition: record.partition });
      },
    });
    for (const channel of CHANNELS) {
      await this.bus.subscribe({
        groupId: `observer-dlq-${channel.toLowerCase()}`,
        topics: [deadLetterTopic(connectorGroup(channel))],
        fromBeginning: true,
        handler: async (record) => {
          this.deadLetters[channel].push(record);
        },
      });
    }
    for (const channel of CHANNELS) this.ports[channel] = { connector: await freePort(), simulator: await freePort() };
    await this.startChannels();
    this.router = await startRouterProcess(this.workerEnv({ PORT: '0', KAFKA_CLIENT_ID: 'life-router' }));
  }

  private workerEnv(env: Record<string, string>): Record<string, string> {
    return {
      CHAT4ALL_PROFILE: 'local',
      LOG_LEVEL: 'info',
      KAFKA_TOPIC_PREFIX: this.namespace.prefix,
      CASSANDRA_KEYSPACE: KEYSPACE,
      // A killed member's partitions move to its successor after this long.
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      WORKER_RETRY_INITIAL_MS: '20',
      WORKER_RETRY_MAX_MS: '200',
      WORKER_LAG_SAMPLE_MS: '500',
      ...env,
    };
  }

  private startConnector(channel: Channel): ServiceProcess {
    const env = this.workerEnv({ KAFKA_CLIENT_ID: `life-${channel.toLowerCase()}`, ...this.options.connectorEnv });
    this.connectors[channel] = spawnConnector(CHANNEL_PROCESSES[channel], this.ports[channel], env);
    return this.connectors[channel];
  }

  private async startChannels(): Promise<void> {
    for (const channel of CHANNELS) {
      const env = { SIM_LATENCY_MIN_MS: '5', SIM_LATENCY_MAX_MS: '20', ...this.options.simulatorEnv };
      this.simulators[channel] = spawnSimulator(CHANNEL_PROCESSES[channel], this.ports[channel], env);
      this.startConnector(channel);
    }
    await Promise.all(CHANNELS.flatMap((c) => [this.waitConnector(c), waitReady(this.simulators[c], `${this.simulatorUrl(c)}/healthz`)]));
  }

  private waitConnector(channel: Channel): Promise<void> {
    return waitReady(this.connectors[channel], `${this.connectorUrl(channel)}/readyz`);
  }

  connectorUrl(channel: Channel): string {
    return `http://127.0.0.1:${this.ports[channel].connector}`;
  }

  simulatorUrl(channel: Channel): string {
    return `http://127.0.0.1:${this.ports[channel].simulator}`;
  }

  routerUrl(): string {
    return `http://127.0.0.1:${this.router.port}`;
  }

  /** Starts again, on the same topics (and the connectors on the same ports), whichever worker is not running. */
  async restartStopped(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const channel of CHANNELS) {
      if (this.connectors[channel].running) continue;
      this.startConnector(channel);
      waits.push(this.waitConnector(channel));
    }
    if (!this.router.process.running) this.router = await startRouterProcess(this.workerEnv({ PORT: '0', KAFKA_CLIENT_ID: 'life-router' }));
    await Promise.all(waits);
  }

  /** Stops both connectors and both simulators (SIGTERM) and starts them again with other settings. */
  async reconfigureChannels(options: ChannelOptions): Promise<void> {
    await Promise.all(CHANNELS.flatMap((c) => [this.connectors[c].stop(), this.simulators[c].stop()]));
    this.options = options;
    await this.startChannels();
  }

  /** Fresh conversation ids (any id will do: the workers do not look conversations up). */
  async conversations(label: string, count: number): Promise<string[]> {
    const run = randomUUID().slice(0, 8);
    return Array.from({ length: count }, (_, i) => `${label}-${i}-${run}`);
  }

  /** As the subgraph's send does: produce `MessageAccepted`, then store its own copy (without a channel). */
  async send(conversations: readonly string[], perConversation: number): Promise<MessageAccepted[]> {
    const events = plannedAccepted(conversations, perConversation);
    await this.publish(events, { storeCopy: true });
    return events;
  }

  /**
   * Publishes as the subgraph's send does: one `publishAccepted` per message (key = conversation id), each
   * conversation's messages one after the other (a client waits for each send's answer), conversations side by side.
   * With `storeCopy`, each message is then also stored as the subgraph stores its copy (without a channel).
   */
  async publish(events: readonly MessageAccepted[], { storeCopy = false } = {}): Promise<void> {
    const byConversation = new Map<string, MessageAccepted[]>();
    for (const e of events) byConversation.set(e.conversationId, [...(byConversation.get(e.conversationId) ?? []), e]);
    await Promise.all(
      [...byConversation.values()].map(async (conversation) => {
        for (const event of conversation) {
          await publishAccepted(this.bus, event);
          if (storeCopy) await this.store.insert(messageFromAccepted(event));
        }
      }),
    );
  }

  /** What a platform simulator received (its `/_simulator/messages`). */
  async platformMessages(channel: Channel): Promise<SimulatedMessage[]> {
    const res = await fetch(`${this.simulatorUrl(channel)}/_simulator/messages`);
    return ((await res.json()) as { messages: SimulatedMessage[] }).messages;
  }

  async simulatorStats(channel: Channel): Promise<SimulatorStats> {
    return (await (await fetch(`${this.simulatorUrl(channel)}/_simulator/stats`)).json()) as SimulatorStats;
  }

  async metrics(service: 'router' | Channel): Promise<string> {
    return fetchMetrics(service === 'router' ? this.routerUrl() : this.connectorUrl(service));
  }

  /** Every worker's recent output, for failure messages. */
  explain(): string {
    return [this.router?.process, ...Object.values(this.connectors), ...Object.values(this.simulators)]
      .filter((p): p is ServiceProcess => p !== undefined)
      .map((p) => p.tail(15))
      .join('\n');
  }

  async close(): Promise<void> {
    await Promise.all([this.router?.process, ...Object.values(this.connectors), ...Object.values(this.simulators)].map((p) => p?.stop()));
    await this.bus?.close();
    await this.store?.close();
    await deleteTopics(kafkaConfig, this.topics).catch(() => undefined);
  }
}
