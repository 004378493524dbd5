import type { BusRecord, Channel, MessageAccepted, SimulatedMessage } from '@chat4all/common';
import { acceptedEvent, messageIdTime, newMessageId, type Message, type MessageStore } from '@chat4all/messages';
import type { ChannelProcesses, ObservedStatus } from '../../../common/test/support/connector-scenario';
import { instagramProcesses } from '../../../connectors/instagram/test/support/channel';
import { whatsappProcesses } from '../../../connectors/whatsapp/test/support/channel';

export const CHANNELS = ['WHATSAPP', 'INSTAGRAM'] as const satisfies readonly Channel[];
/** Each channel's connector and simulator, with the test accounts both ends share (webhooks are signed with them). */
export const CHANNEL_PROCESSES: Record<Channel, ChannelProcesses> = { WHATSAPP: whatsappProcesses, INSTAGRAM: instagramProcesses };

/** A message sent into the platform: its conversation, its content (which picks its channel) and the id it got. */
export type SentMessage = Pick<MessageAccepted, 'messageId' | 'conversationId' | 'content'>;

export interface ChannelOptions {
  /** Behaviour of both platform simulators (latency, failure rate), beside fast defaults. */
  simulatorEnv?: Record<string, string>;
  /** Extra settings for both connectors (retry budget, breaker). */
  connectorEnv?: Record<string, string>;
}

/**
 * The platform behind the API as the lifecycle scenarios see it, whichever way it runs (`Pipeline`: every worker its
 * own process on Kafka and Cassandra; `EmbeddedPipeline`: `npm start`'s one process): messages go in, and what
 * happened to them comes out of the message store, the status and dead-letter topics, the platform simulators (always
 * processes of their own, as the real platforms would be) and the connectors' webhook endpoints and metrics.
 */
export interface LifecycleHarness {
  /** Every status event on the status topic, in arrival order (per partition: topic order). */
  readonly statuses: ObservedStatus[];
  /** Records on each connector group's dead-letter topic. */
  readonly deadLetters: Record<Channel, BusRecord[]>;
  /** The store the router and the messages subgraph write (a test may store a message as the subgraph would). */
  readonly store: MessageStore;
  /** `count` new conversations, named after `label` where the platform lets the test name them. */
  conversations(label: string, count: number): Promise<string[]>;
  /**
   * `perConversation` messages into each conversation as clients send them: each conversation's one after the other,
   * conversations side by side, contents by `contentOf`. Answers them in the order `plannedAccepted` builds.
   */
  send(conversations: readonly string[], perConversation: number): Promise<SentMessage[]>;
  connectorUrl(channel: Channel): string;
  /** What a platform simulator received (its `/_simulator/messages`). */
  platformMessages(channel: Channel): Promise<SimulatedMessage[]>;
  metrics(channel: Channel): Promise<string>;
  /** Starts both connectors and both simulators again with other settings. */
  reconfigureChannels(options: ChannelOptions): Promise<void>;
  /** Recent output of every process, for failure messages. */
  explain(): string;
  close(): Promise<void>;
}

/** Every third message starts with `@`, which the default routing rules send to Instagram. */
export const contentOf = (n: number): string => (n % 3 === 0 ? `@ig message ${n}` : `message ${n}`);

/**
 * `perConversation` accepted messages in each conversation, interleaved, built as the messages subgraph builds them
 * (time-ordered id, createdAt from the id), with contents by `contentOf`.
 */
export function plannedAccepted(conversations: readonly string[], perConversation: number): MessageAccepted[] {
  const events: MessageAccepted[] = [];
  for (let n = 0; n < perConversation; n++) {
    for (const conversationId of conversations) {
      const id = newMessageId();
      events.push(acceptedEvent({ id, conversationId, senderId: 'life-sender', createdAt: new Date(messageIdTime(id)), content: contentOf(n) }));
    }
  }
  return events;
}

/** The stored messages, one per id (null where none is stored). */
export async function storedMessages(store: MessageStore, ids: readonly string[]): Promise<(Message | null)[]> {
  const result: (Message | null)[] = [];
  for (let i = 0; i < ids.length; i += 100) result.push(...(await store.getMany(ids.slice(i, i + 100))));
  return result;
}

/** Every message of a conversation, newest first, paging through the whole history `pageSize` at a time. */
export async function fullHistory(store: MessageStore, conversationId: string, pageSize = 10): Promise<Message[]> {
  const all: Message[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listByConversation(conversationId, { first: pageSize, ...(after ? { after } : {}) });
    all.push(...page.items);
    if (!page.hasNextPage || !page.endCursor) return all;
    after = page.endCursor;
  }
}
