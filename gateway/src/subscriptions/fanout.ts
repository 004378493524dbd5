import type { MessageStatus } from '@chat4all/common';
import type { PositionVector } from './cursor';

/** One event as subscriptions see it: a `messages.status` record, plus where it was read. */
export interface LiveEvent {
  /** `added`: the router's SENT (the message is stored); `status`: any later change. */
  kind: 'added' | 'status';
  conversationId: string;
  messageId: string;
  status: MessageStatus;
  /** The status seen last for the message (its predecessor in SENT < DELIVERED < READ when none was seen). */
  previousStatus: MessageStatus | null;
  /** The record's partition and offset in `messages.status`. */
  partition: number;
  offset: bigint;
  /** Every record at or below this position (per partition) had been handed to the fan-out when this one was. */
  position: PositionVector;
  /** What the client sees: the subscription's own position after this event (see source.ts). */
  cursor: string;
}

export type Listener = (event: LiveEvent) => void;

/**
 * In-process fan-out of this gateway's feed: listeners per conversation id, and listeners of every event
 * (`myEvents`, which filters by membership itself). Listeners must not block: each pushes into its own bounded queue.
 */
export class FanOut {
  private readonly byConversation = new Map<string, Set<Listener>>();
  private readonly everything = new Set<Listener>();

  /** Listens to one conversation (or, with null, to every conversation); returns the function that stops it. */
  listen(conversationId: string | null, listener: Listener): () => void {
    if (conversationId === null) {
      this.everything.add(listener);
      return () => this.everything.delete(listener);
    }
    let listeners = this.byConversation.get(conversationId);
    if (!listeners) this.byConversation.set(conversationId, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.byConversation.get(conversationId) === listeners) this.byConversation.delete(conversationId);
    };
  }

  get listenerCount(): number {
    let count = this.everything.size;
    for (const listeners of this.byConversation.values()) count += listeners.size;
    return count;
  }

  publish(event: LiveEvent): void {
    for (const listener of this.byConversation.get(event.conversationId) ?? []) listener(event);
    for (const listener of this.everything) listener(event);
  }
}
