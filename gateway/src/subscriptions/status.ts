import { TtlLru, canAdvanceStatus, type MessageStatus, type MessageStatusChanged } from '@chat4all/common';
import type { PositionVector } from './cursor';
import type { LiveEvent } from './fanout';

/** A `messages.status` record as an event: `added` is the router's SENT (the message is stored and can be read). */
export function liveEvent(
  changed: MessageStatusChanged,
  where: { partition: number; offset: bigint; position: PositionVector; cursor: string },
  previousStatus: MessageStatus | null,
): LiveEvent {
  return {
    kind: changed.status === 'SENT' ? 'added' : 'status',
    conversationId: changed.conversationId,
    messageId: changed.messageId,
    status: changed.status,
    previousStatus,
    ...where,
  };
}

/** What precedes a status when nothing earlier of its message was seen: SENT < DELIVERED < READ (FAILED: unknown). */
const PREDECESSOR: Record<MessageStatus, MessageStatus | null> = { SENT: null, DELIVERED: 'SENT', READ: 'DELIVERED', FAILED: null };

/**
 * The last status seen per message, bounded (LRU with a TTL), for `previousStatus` and forward-only filtering: an event
 * that does not move its message forward (the connector's DELIVERED after the router's, a redelivered record) changes
 * nothing in the store either, so subscribers do not see it.
 */
export class StatusMemory {
  private readonly last: TtlLru<string, MessageStatus>;

  constructor(entries: number, ttlMs: number) {
    this.last = new TtlLru(entries, ttlMs);
  }

  /** The event's previousStatus when it moves its message forward (and remembers it); undefined when it does not. */
  advance(messageId: string, status: MessageStatus): { previousStatus: MessageStatus | null } | undefined {
    const known = this.last.get(messageId);
    if (known !== undefined && !canAdvanceStatus(known, status)) return undefined;
    this.last.set(messageId, status);
    return { previousStatus: known ?? PREDECESSOR[status] };
  }
}
