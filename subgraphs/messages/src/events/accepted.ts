import { EVENT_VERSION, MessageAccepted, TOPICS, encodeEvent, type EventBus } from '@chat4all/common';
import type { NewMessage } from '../store/types';

/** The event for an accepted message. Optional fields stay absent, so a re-produce writes byte-identical JSON. */
export function acceptedEvent(message: NewMessage): MessageAccepted {
  const event: MessageAccepted = {
    version: EVENT_VERSION,
    messageId: message.id,
    conversationId: message.conversationId,
    senderId: message.senderId,
    createdAt: message.createdAt.toISOString(),
  };
  if (message.clientMessageId !== undefined) event.clientMessageId = message.clientMessageId;
  if (message.content !== undefined) event.content = message.content;
  if (message.fileId !== undefined) event.fileId = message.fileId;
  return event;
}

/**
 * The row a consumer of `messages.accepted` stores for the event. The subgraph writes the same row right after
 * producing (read-your-writes in history); the router's write from Kafka is the one that is guaranteed, and being an
 * upsert of identical values, the order of the two writes does not matter.
 */
export function messageFromAccepted(event: MessageAccepted): NewMessage {
  const message: NewMessage = {
    id: event.messageId,
    conversationId: event.conversationId,
    senderId: event.senderId,
    createdAt: new Date(event.createdAt),
  };
  if (event.clientMessageId !== undefined) message.clientMessageId = event.clientMessageId;
  if (event.content !== undefined) message.content = event.content;
  if (event.fileId !== undefined) message.fileId = event.fileId;
  return message;
}

/**
 * Produces the event on `messages.accepted` (a benchmark may name a topic of its own), keyed by conversation id so a
 * conversation's messages stay in order on one partition. Resolves once all in-sync replicas have it (the bus's
 * producer is idempotent with acks=all).
 */
export async function publishAccepted(bus: EventBus, event: MessageAccepted, topic: string = TOPICS.messagesAccepted): Promise<void> {
  await bus.publish(topic, [{ key: event.conversationId, value: encodeEvent(MessageAccepted, event) }]);
}
