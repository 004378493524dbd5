import type { HandlerContext, MessageStatusChanged } from '@chat4all/common';
import type { MessageStore } from '@chat4all/messages';

/**
 * Applies a status event to the store. The store moves a status only forward (SENT < DELIVERED < READ, FAILED ends
 * it) and keeps each transition's time once, so late, repeated and redelivered events change nothing. The router's own
 * DELIVERED events come through here too; they are already recorded and re-applying them is a no-op. Its SENT events
 * (the message is stored) need no store call at all: SENT is implied by the stored message.
 */
export function persistStatusHandler(store: MessageStore): (event: MessageStatusChanged, context: HandlerContext) => Promise<void> {
  return async (event, { log }) => {
    if (event.status === 'SENT') return;
    const moved = await store.recordStatus(event.messageId, event.conversationId, event.status, new Date(event.at), event.reason);
    log.info({ status: event.status, source: event.source, at: event.at, moved }, moved ? 'status recorded' : 'status event changes nothing');
  };
}
