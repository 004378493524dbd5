import { z } from 'zod';
import {
  EVENT_VERSION,
  MessageStatusChanged,
  TOPICS,
  createKafkaBus,
  createLogger,
  deleteTopics,
  encodeEvent,
  ensureTopics,
  kafkaEnv,
  loadConfig,
  type EventBus,
  type KafkaConfig,
} from '@chat4all/common';
import { CassandraMessageStore, acceptedEvent, messageIdTime, newMessageId, publishAccepted } from '@chat4all/messages';
import { runArrivals } from '../load/schedule';
import { runTag } from '../seed';
import type { BenchStack } from '../stack';

/** What the benchmark's phases drive: one event now, or events at a rate. */
export interface EventSource {
  publishOne(): Promise<void>;
  /** `perSecond` events for `seconds`, each due at its time whether or not the earlier ones are done; their count. */
  publishAt(perSecond: number, seconds: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Most events being published at once. Beyond it the next waits for one to finish: cassandra-driver refuses more than
 * 2,048 requests in flight on its connection, and an event's time is taken when it is made, so a late start costs no
 * measured latency (at 20 subscribers, events due at 100,000 deliveries/s are 5,000 events a second).
 */
export const MAX_PUBLISHING = 1024;

/**
 * Calls `publishOne` `perSecond` times a second for `seconds` on the load's open-model schedule (load/schedule.ts),
 * waiting rather than dropping beyond MAX_PUBLISHING under way, since every due event is counted as delivered or not;
 * the count. A failed publication fails the phase once all are settled, saying how many.
 */
export async function publishAt(perSecond: number, seconds: number, publishOne: () => Promise<void>): Promise<number> {
  const total = Math.max(1, Math.round(perSecond * seconds));
  let failed = 0;
  let firstError: unknown;
  const publish = async () => {
    try {
      await publishOne();
    } catch (error) {
      failed++;
      firstError ??= error;
    }
  };
  await runArrivals({ rate: perSecond, total, maxInFlight: MAX_PUBLISHING, whenFull: 'wait' }, publish);
  if (failed > 0) throw new Error(`${failed} of ${total} benchmark events could not be published; the first: ${String(firstError)}`);
  return total;
}

/**
 * Makes subscription events as the platform does for a sent message: its MessageAccepted (as the messages subgraph
 * publishes it, but on `acceptedTopic`, a topic of this run's own that only the bare reference server reads), the
 * message stored, then its SENT on `messages.status` (as the router publishes it once stored; the gateway's feed reads
 * only that topic). On `messages.accepted` the platform's router would route every benchmark event to WhatsApp after
 * the run, and the next pipeline run or test suite on these engines would wait behind thousands of them.
 */
export class EventPublisher implements EventSource {
  private constructor(
    private readonly store: CassandraMessageStore,
    private readonly bus: EventBus,
    private readonly kafka: KafkaConfig,
    readonly acceptedTopic: string,
    private readonly conversationId: string,
    private readonly senderId: string,
  ) {}

  static async start(stack: BenchStack, conversationId: string, senderId: string): Promise<EventPublisher> {
    const kafka = { ...loadConfig(z.object(kafkaEnv)), KAFKA_CLIENT_ID: 'bench-publisher' };
    const acceptedTopic = `bench.subscriptions.${runTag()}.accepted`;
    await ensureTopics(kafka, [acceptedTopic], { partitions: 1, replicationFactor: 1 });
    const store = await CassandraMessageStore.connect(stack.cassandra);
    const bus = createKafkaBus(kafka, createLogger('bench-publisher', 'warn'));
    return new EventPublisher(store, bus, kafka, acceptedTopic, conversationId, senderId);
  }

  async publishOne(): Promise<void> {
    const id = newMessageId();
    const message = { id, conversationId: this.conversationId, senderId: this.senderId, content: 'subscription benchmark event', createdAt: new Date(messageIdTime(id)) };
    await publishAccepted(this.bus, acceptedEvent(message), this.acceptedTopic);
    await this.store.insert(message);
    const sent = { version: EVENT_VERSION, messageId: id, conversationId: this.conversationId, status: 'SENT' as const, at: message.createdAt.toISOString(), source: 'router' };
    await this.bus.publish(TOPICS.messagesStatus, [{ key: this.conversationId, value: encodeEvent(MessageStatusChanged, sent) }]);
  }

  publishAt(perSecond: number, seconds: number): Promise<number> {
    return publishAt(perSecond, seconds, () => this.publishOne());
  }

  async close(): Promise<void> {
    await this.bus.close();
    await this.store.close();
    await deleteTopics(this.kafka, [this.acceptedTopic]);
  }
}

/** Events of the fan-out floor server (floor-server.ts): each `POST /event` writes one prebuilt event to every socket. */
export class FloorPublisher implements EventSource {
  constructor(private readonly eventUrl: string) {}

  async publishOne(): Promise<void> {
    const response = await fetch(this.eventUrl, { method: 'POST' });
    if (response.status !== 204) throw new Error(`the fan-out floor server answered ${response.status}`);
  }

  publishAt(perSecond: number, seconds: number): Promise<number> {
    return publishAt(perSecond, seconds, () => this.publishOne());
  }

  async close(): Promise<void> {}
}
