import type { HandlerContext, MessageStatusChanged } from '@chat4all/common';
import type { MessageStore } from '@chat4all/messages';
import { ROUTER_SOURCE } from './route';

/**
 * Applies a status event to the store. The store moves a status only forward (SENT < DELIVERED < READ, FAILED ends
 * it) and keeps each transition's time once, so late, repeated and redelivered events change nothing. The router's own
 * events need no store call at all: it publishes SENT once the message is stored (SENT is implied by the stored
 * message) and DELIVERED once DELIVERED is recorded, so applying them again could only read and change nothing.
 */
export function persistStatusHandler(store: MessageStore): (event: MessageStatusChanged, context: HandlerContext) => Promise<void> {
  return async (event, { log }) => {
    if (event.status === 'SENT' || (event.source === ROUTER_SOURCE && event.status === 'DELIVERED')) return;
    const moved = await store.recordStatus(event.messageId, event.conversationId, event.status, new Date(event.at), event.reason);
    log.info({ status: event.status, source: event.source, at: event.at, moved }, moved ? 'status recorded' : 'status event changes nothing');
  };
}
