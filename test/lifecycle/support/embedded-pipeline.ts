import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApolloClient } from '@apollo/client';
import {
  MessageStatusChanged,
  TOPICS,
  connectorGroup,
  deadLetterTopic,
  decodeEvent,
  followEmbeddedTopic,
  type BusRecord,
  type Channel,
  type SimulatedMessage,
} from '@chat4all/common';
import { EmbeddedMessageStore } from '@chat4all/messages';
import { CONNECTOR_TEST_TIMINGS, spawnSimulator, type ChannelPorts, type ObservedStatus } from '../../../common/test/support/connector-scenario';
import { fetchMetrics, waitReady, type ServiceProcess } from '../../../common/test/support/processes';
import { CreateConversationDocument, RegisterDocument, SendMessageDocument } from '../../e2e/generated/graphql';
import { apolloClient, run } from '../../e2e/support/client';
import { embeddedPortOffset, freshSecrets, startEmbeddedPlatform, type EmbeddedPlatform } from '../../e2e/support/embedded';
import { CHANNELS, CHANNEL_PROCESSES, contentOf, type ChannelOptions, type LifecycleHarness, type SentMessage } from './harness';

/** Everything but the simulators: those run as processes of their own, as the real platforms would. */
const PLATFORM_SERVICES = ['users', 'messages', 'files', 'router', 'whatsapp', 'instagram', 'gateway'];
const OBSERVE_EVERY_MS = 100;

/**
 * The lifecycle on the embedded platform: `npm start`'s one process (gateway, subgraphs, router, both connectors) on
 * a fresh data folder, and both platform simulators as processes of their own. Messages go in through the API
 * (`sendMessage`), as clients send them. The outcome is read as on the engines: from the message store (the platform's
 * SQLite file, which SQLite lets a second process open) and from the status and dead-letter topics, followed
 * read-only in the bus folder the platform owns.
 */
export class EmbeddedPipeline implements LifecycleHarness {
  readonly statuses: ObservedStatus[] = [];
  readonly deadLetters: Record<Channel, BusRecord[]> = { WHATSAPP: [], INSTAGRAM: [] };
  store!: EmbeddedMessageStore;
  private readonly dataDir = mkdtempSync(path.join(tmpdir(), 'chat4all-lifecycle-'));
  private readonly secrets = freshSecrets();
  private readonly offset = embeddedPortOffset();
  private readonly ports: Record<Channel, ChannelPorts> = {
    WHATSAPP: { connector: 4011 + this.offset, simulator: 4021 + this.offset },
    INSTAGRAM: { connector: 4012 + this.offset, simulator: 4022 + this.offset },
  };
  private readonly simulators = {} as Record<Channel, ServiceProcess>;
  private platform: EmbeddedPlatform | undefined;
  private client!: ApolloClient;
  private observing: Promise<void> | undefined;
  private closing = false;
  private observeError: unknown;

  private constructor(private options: ChannelOptions) {}

  static async start(options: ChannelOptions = {}): Promise<EmbeddedPipeline> {
    const pipeline = new EmbeddedPipeline(options);
    try {
      await pipeline.begin();
    } catch (error) {
      await pipeline.close();
      throw error;
    }
    return pipeline;
  }

  private async begin(): Promise<void> {
    await this.startChannels();
    const graphqlUrl = `http://127.0.0.1:${4000 + this.offset}/graphql`;
    const { register } = await run(apolloClient(graphqlUrl), RegisterDocument, { username: `life_${randomBytes(4).toString('hex')}`, password: 'correct horse battery staple' });
    this.client = apolloClient(graphqlUrl, register.token);
    // Opened once the platform has migrated it.
    this.store = await EmbeddedMessageStore.open({ dataDir: path.join(this.dataDir, 'messages') });
    this.observing = this.observe();
  }

  /** Both simulators, then the platform, whose connectors call them and take their signed webhooks. */
  private async startChannels(): Promise<void> {
    for (const channel of CHANNELS) {
      const env = { SIM_LATENCY_MIN_MS: '5', SIM_LATENCY_MAX_MS: '20', ...this.options.simulatorEnv };
      this.simulators[channel] = spawnSimulator(CHANNEL_PROCESSES[channel], this.ports[channel], env);
    }
    await Promise.all(CHANNELS.map((c) => waitReady(this.simulators[c], `http://127.0.0.1:${this.ports[c].simulator}/healthz`)));
    const channelEnv = Object.assign({}, ...CHANNELS.map((c) => CHANNEL_PROCESSES[c].connectorEnv(this.ports[c]))) as Record<string, string>;
    this.platform = await startEmbeddedPlatform({
      dataDir: this.dataDir,
      secrets: this.secrets,
      env: { CHAT4ALL_SERVICES: PLATFORM_SERVICES.join(','), ...CONNECTOR_TEST_TIMINGS, ...channelEnv, ...this.options.connectorEnv },
    });
  }

  /** What the Kafka observers do on the engines: every record of the status and dead-letter topics, as they come. */
  private async observe(): Promise<void> {
    const busDir = path.join(this.dataDir, 'bus');
    const status = followEmbeddedTopic(busDir, TOPICS.messagesStatus);
    const dead = CHANNELS.map((channel) => ({ channel, follower: followEmbeddedTopic(busDir, deadLetterTopic(connectorGroup(channel))) }));
    while (!this.closing) {
      try {
        for (const record of await status.poll()) this.statuses.push({ ...decodeEvent(MessageStatusChanged, record.value), partition: record.partition });
        for (const { channel, follower } of dead) this.deadLetters[channel].push(...(await follower.poll()));
      } catch (error) {
        this.observeError = error; // shown by explain(); the waits that depend on it time out
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, OBSERVE_EVERY_MS));
    }
  }

  async conversations(label: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await run(this.client, CreateConversationDocument, { title: `${label} ${i}`, memberIds: [] })).createConversation.id);
    return ids;
  }

  async send(conversations: readonly string[], perConversation: number): Promise<SentMessage[]> {
    const ids = new Map<string, string[]>();
    await Promise.all(
      conversations.map(async (conversationId) => {
        const own: string[] = [];
        ids.set(conversationId, own);
        for (let n = 0; n < perConversation; n++) own.push((await run(this.client, SendMessageDocument, { conversationId, content: contentOf(n) })).sendMessage.id);
      }),
    );
    const sent: SentMessage[] = [];
    for (let n = 0; n < perConversation; n++) {
      for (const conversationId of conversations) sent.push({ messageId: ids.get(conversationId)![n]!, conversationId, content: contentOf(n) });
    }
    return sent;
  }

  connectorUrl(channel: Channel): string {
    return `http://127.0.0.1:${this.ports[channel].connector}`;
  }

  async platformMessages(channel: Channel): Promise<SimulatedMessage[]> {
    const res = await fetch(`http://127.0.0.1:${this.ports[channel].simulator}/_simulator/messages`);
    return ((await res.json()) as { messages: SimulatedMessage[] }).messages;
  }

  metrics(channel: Channel): Promise<string> {
    return fetchMetrics(this.connectorUrl(channel));
  }

  /** The connectors live in the platform process: it is stopped (SIGTERM, which must drain and exit 0) and started again. */
  async reconfigureChannels(options: ChannelOptions): Promise<void> {
    const stopped = await this.platform?.stop();
    if (stopped && stopped.code !== 0) throw new Error(`the embedded platform exited with ${JSON.stringify(stopped)}\n${this.explain()}`);
    await Promise.all(CHANNELS.map((c) => this.simulators[c].stop()));
    this.options = options;
    await this.startChannels();
  }

  explain(): string {
    return [this.platform?.process, ...Object.values(this.simulators)]
      .filter((p): p is ServiceProcess => p !== undefined)
      .map((p) => p.tail(15))
      .concat(this.observeError === undefined ? [] : [`observer failed: ${String(this.observeError)}`])
      .join('\n');
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.observing;
    await this.store?.close();
    await this.platform?.stop();
    await Promise.all(Object.values(this.simulators).map((s) => s.stop()));
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
