import { randomUUID } from 'node:crypto';
import {
  MessageAccepted,
  MessageStatusChanged,
  TOPICS,
  TtlLru,
  canAdvanceStatus,
  createKafkaClient,
  decodeEvent,
  type KafkaConfig,
  type Logger,
  type MessageStatus,
} from '@chat4all/common';
import { encodeCursor } from './cursor';
import type { FanOut, LiveEvent } from './fanout';

export interface KafkaFeed {
  groupId: string;
  /** True once the consumer joined its group and holds its partitions: events published from then on reach subscribers. */
  readonly joined: boolean;
  stop(): Promise<void>;
}

/** Statuses remembered to fill `previousStatus`: enough for the messages in flight, forgotten after an hour. */
const STATUS_MEMORY = { entries: 100_000, ttlMs: 60 * 60_000 };

/**
 * Accepted messages and status changes are on two topics, and one fetch may hand this consumer a message's DELIVERED
 * before its accepted record (causally earlier: the router publishes DELIVERED after reading it). A status event of a
 * message this instance has not seen yet waits up to this long for the accepted record, then goes out anyway (the
 * message was accepted before this instance started). Later events of a waiting message wait behind it.
 */
export const REORDER_WINDOW_MS = 1_000;
const MAX_WAITING_MESSAGES = 10_000;

/**
 * This gateway instance's view of the message events: a Kafka consumer in a group of its own (a fresh id per
 * instance, starting at the live edge), so every instance behind a load balancer receives every event and serves
 * its own subscribers. It commits nothing that matters (a restarted instance is a new group); decoded events go to
 * the fan-out, records it cannot decode are logged and skipped (the platform's consumers dead-letter them).
 */
export async function startKafkaFeed(config: KafkaConfig, fanOut: FanOut, log: Logger): Promise<KafkaFeed> {
  const groupId = `gateway-subscriptions-${randomUUID()}`;
  const consumer = createKafkaClient(config, log).consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 200 });
  const lastStatus = new TtlLru<string, MessageStatus>(STATUS_MEMORY.entries, STATUS_MEMORY.ttlMs);
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
    log.info({ groupId }, 'subscription feed joined its group');
  });

  const toEvent = (topic: string, partition: number, offset: string, value: Buffer): LiveEvent | null => {
    const cursor = encodeCursor({ topic, partition, offset });
    if (topic === TOPICS.messagesAccepted) {
      const accepted = decodeEvent(MessageAccepted, value);
      const event: LiveEvent = { kind: 'added', conversationId: accepted.conversationId, messageId: accepted.messageId, status: 'SENT', previousStatus: null, cursor };
      lastStatus.set(accepted.messageId, 'SENT');
      return event;
    }
    const changed = decodeEvent(MessageStatusChanged, value);
    return { kind: 'status', conversationId: changed.conversationId, messageId: changed.messageId, status: changed.status, previousStatus: null, cursor };
  };

  // Status events waiting for their message's accepted record, per message id, in arrival order.
  const waiting = new Map<string, { events: LiveEvent[]; timer: NodeJS.Timeout }>();
  // previousStatus is filled when the event goes out, after any reordering. An event that does not move the status
  // forward (a second DELIVERED from the platform's webhook, a redelivered record, a late one) changes nothing in the
  // store either, so subscribers do not see it.
  const publishStatus = (event: LiveEvent) => {
    const previousStatus = lastStatus.get(event.messageId) ?? null;
    if (!canAdvanceStatus(previousStatus, event.status)) return;
    lastStatus.set(event.messageId, event.status);
    fanOut.publish({ ...event, previousStatus });
  };
  const release = (messageId: string) => {
    const entry = waiting.get(messageId);
    if (!entry) return;
    waiting.delete(messageId);
    clearTimeout(entry.timer);
    for (const event of entry.events) publishStatus(event);
  };
  const deliver = (event: LiveEvent) => {
    if (event.kind === 'added') {
      fanOut.publish(event);
      release(event.messageId);
      return;
    }
    const entry = waiting.get(event.messageId);
    if (entry) {
      entry.events.push(event);
      return;
    }
    if (lastStatus.get(event.messageId) !== undefined) {
      publishStatus(event);
      return;
    }
    if (waiting.size >= MAX_WAITING_MESSAGES) {
      const oldest = waiting.keys().next();
      if (!oldest.done) release(oldest.value);
    }
    waiting.set(event.messageId, { events: [event], timer: setTimeout(() => release(event.messageId), REORDER_WINDOW_MS) });
  };

  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [TOPICS.messagesAccepted, TOPICS.messagesStatus], fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        if (!message.value) return;
        let event: LiveEvent | null;
        try {
          event = toEvent(topic, partition, message.offset, message.value);
        } catch (error) {
          log.warn({ err: error, topic, partition, offset: message.offset }, 'subscription feed skipped a record it cannot decode');
          return;
        }
        if (event) deliver(event);
      },
    });
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw error;
  }

  return {
    groupId,
    get joined() {
      return joined;
    },
    async stop() {
      await consumer.disconnect();
      for (const entry of waiting.values()) clearTimeout(entry.timer);
      waiting.clear();
    },
  };
}
