import { randomUUID } from 'node:crypto';
import { createKafkaBus } from '../../src/bus/kafka';
import { deleteTopics, ensureTopics } from '../../src/bus/kafka-admin';
import type { BusRecord, EventBus } from '../../src/bus/port';
import { EVENT_VERSION, MessageOutbound, MessageStatusChanged, decodeEvent, encodeEvent, type Channel } from '../../src/contracts/events';
import { TOPICS, connectorGroup, deadLetterTopic, outboundTopic } from '../../src/contracts/topics';
import { newUuidV7 } from '../../src/ids';
import { createLogger } from '../../src/logging';
import type { SimulatedMessage, SimulatorStats } from '../../src/connector/simulator';
import { namespacedBus, topicNamespace } from '../../src/worker';
import { kafkaConfig, requireKafka } from './kafka';
import { ServiceProcess, freePort, waitReady } from './processes';

const log = createLogger('connector-scenario', process.env.TEST_LOG_LEVEL ?? 'error');

/** How to run one channel's connector and simulator as processes. */
export interface ChannelProcesses {
  channel: Channel;
  connectorScript: string;
  simulatorScript: string;
  /** The platform variables both ends read: API URL for the connector, webhook URL for the simulator. */
  connectorEnv(ports: ChannelPorts): Record<string, string>;
  simulatorEnv(ports: ChannelPorts): Record<string, string>;
}

export interface ScenarioOptions {
  connectorEnv?: Record<string, string>;
  simulatorEnv?: Record<string, string>;
  partitions?: number;
}

export type ObservedStatus = MessageStatusChanged & { partition: number };

export interface ChannelPorts {
  connector: number;
  simulator: number;
}

/** A channel's platform simulator as a process on `ports.simulator`, posting its webhooks to the connector's port. */
export function spawnSimulator(setup: ChannelProcesses, ports: ChannelPorts, env: Record<string, string> = {}): ServiceProcess {
  return new ServiceProcess(`${setup.channel.toLowerCase()}-simulator`, setup.simulatorScript, {
    CHAT4ALL_PROFILE: 'local',
    LOG_LEVEL: 'info',
    PORT: String(ports.simulator),
    ...setup.simulatorEnv(ports),
    ...env,
  });
}

/** A connector's timings in tests, wherever it runs: quick retries, a short breaker cooldown and send timeout. */
export const CONNECTOR_TEST_TIMINGS: Readonly<Record<string, string>> = {
  WORKER_RETRY_INITIAL_MS: '20',
  WORKER_RETRY_MAX_MS: '200',
  CIRCUIT_COOLDOWN_MS: '300',
  SEND_TIMEOUT_MS: '3000',
};

/**
 * A channel's connector as a process on `ports.connector`, calling the simulator's port, with quick retries and a
 * short Kafka session (a killed member's partitions move on after 6 s). `env` adds or overrides settings, e.g.
 * `KAFKA_TOPIC_PREFIX`, retry budget, breaker.
 */
export function spawnConnector(setup: ChannelProcesses, ports: ChannelPorts, env: Record<string, string> = {}): ServiceProcess {
  return new ServiceProcess(`${setup.channel.toLowerCase()}-connector`, setup.connectorScript, {
    CHAT4ALL_PROFILE: 'local',
    LOG_LEVEL: 'info',
    PORT: String(ports.connector),
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    WORKER_LAG_SAMPLE_MS: '1000',
    ...CONNECTOR_TEST_TIMINGS,
    ...setup.connectorEnv(ports),
    ...env,
  });
}

/**
 * One connector and its platform simulator, each a separate process, on topics of their own (a fresh
 * KAFKA_TOPIC_PREFIX), with observers on the status and dead-letter topics.
 */
export class ConnectorScenario {
  readonly statuses: ObservedStatus[] = [];
  readonly deadLetters: BusRecord[] = [];
  connector!: ServiceProcess;
  simulator!: ServiceProcess;
  private inner!: EventBus;
  bus!: EventBus;
  readonly namespace = topicNamespace(`test-conn-${randomUUID().slice(0, 8)}.`);
  readonly ports: ChannelPorts = { connector: 0, simulator: 0 };
  private readonly topics: string[];

  private constructor(
    private readonly setup: ChannelProcesses,
    private readonly options: ScenarioOptions,
  ) {
    const group = connectorGroup(setup.channel);
    this.topics = [outboundTopic(setup.channel), TOPICS.messagesStatus, deadLetterTopic(group)].map((t) => this.namespace.topic(t));
  }

  static async start(setup: ChannelProcesses, options: ScenarioOptions = {}): Promise<ConnectorScenario> {
    const scenario = new ConnectorScenario(setup, options);
    try {
      await scenario.begin();
    } catch (error) {
      await scenario.close();
      throw error;
    }
    return scenario;
  }

  get connectorUrl(): string {
    return `http://127.0.0.1:${this.ports.connector}`;
  }

  get simulatorUrl(): string {
    return `http://127.0.0.1:${this.ports.simulator}`;
  }

  private async begin(): Promise<void> {
    await requireKafka();
    await ensureTopics(kafkaConfig, this.topics, { partitions: this.options.partitions ?? 3, replicationFactor: kafkaConfig.KAFKA_REPLICATION_FACTOR });
    this.inner = createKafkaBus(kafkaConfig, log, { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitTimeMs: 200 });
    this.bus = namespacedBus(this.inner, this.namespace);
    await this.bus.subscribe({
      groupId: 'observer-status',
      topics: [TOPICS.messagesStatus],
      fromBeginning: true,
      handler: async (record) => {
        this.statuses.push({ ...decodeEvent(MessageStatusChanged, record.value), partition: record.partition });
      },
    });
    await this.bus.subscribe({
      groupId: 'observer-dlq',
      topics: [deadLetterTopic(connectorGroup(this.setup.channel))],
      fromBeginning: true,
      handler: async (record) => {
        this.deadLetters.push(record);
      },
    });
    this.ports.connector = await freePort();
    this.ports.simulator = await freePort();
    this.simulator = this.spawnSimulator();
    this.connector = this.spawnConnector();
    await Promise.all([waitReady(this.simulator, `${this.simulatorUrl}/healthz`), waitReady(this.connector, `${this.connectorUrl}/readyz`)]);
  }

  private spawnSimulator(): ServiceProcess {
    return spawnSimulator(this.setup, this.ports, this.options.simulatorEnv);
  }

  private spawnConnector(): ServiceProcess {
    return spawnConnector(this.setup, this.ports, { KAFKA_CLIENT_ID: 'connector-test', KAFKA_TOPIC_PREFIX: this.namespace.prefix, ...this.options.connectorEnv });
  }

  /** Starts the connector again (after `kill9`), on the same port and topics. */
  async restartConnector(): Promise<void> {
    this.connector = this.spawnConnector();
    await waitReady(this.connector, `${this.connectorUrl}/readyz`);
  }

  /** New outbound events: `perConversation` messages in each conversation, in publish order. */
  outbound(conversations: readonly string[], perConversation: number): MessageOutbound[] {
    const events: MessageOutbound[] = [];
    for (let n = 0; n < perConversation; n++) {
      for (const conversationId of conversations) {
        events.push({
          version: EVENT_VERSION,
          channel: this.setup.channel,
          message: { messageId: newUuidV7(), conversationId, senderId: 'user-1', content: `message ${n} in ${conversationId}`, createdAt: new Date().toISOString() },
        });
      }
    }
    return events;
  }

  async publish(events: readonly MessageOutbound[]): Promise<void> {
    await this.bus.publish(
      outboundTopic(this.setup.channel),
      events.map((e) => ({ key: e.message.conversationId, value: encodeEvent(MessageOutbound, e) })),
    );
  }

  /** READ or FAILED per message id (the last final status seen). */
  finals(): Map<string, ObservedStatus> {
    const result = new Map<string, ObservedStatus>();
    for (const s of this.statuses) if (s.status === 'READ' || s.status === 'FAILED') result.set(s.messageId, s);
    return result;
  }

  async simulatorStats(): Promise<SimulatorStats> {
    return (await (await fetch(`${this.simulatorUrl}/_simulator/stats`)).json()) as SimulatorStats;
  }

  async simulatorMessages(): Promise<SimulatedMessage[]> {
    return ((await (await fetch(`${this.simulatorUrl}/_simulator/messages`)).json()) as { messages: SimulatedMessage[] }).messages;
  }

  async connectorMetrics(): Promise<string> {
    return (await fetch(`${this.connectorUrl}/metrics`)).text();
  }

  /** Both processes' recent output, for failure messages. */
  explain(): string {
    return [this.connector?.tail(), this.simulator?.tail()].filter(Boolean).join('\n');
  }

  async close(): Promise<void> {
    await Promise.all([this.connector?.stop(), this.simulator?.stop()]);
    await this.inner?.close();
    await deleteTopics(kafkaConfig, this.topics).catch(() => undefined);
  }
}
