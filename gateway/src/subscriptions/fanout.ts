import type { MessageStatus } from '@chat4all/common';

/** One event as subscriptions see it: what Kafka carried, plus where it was read. */
export interface LiveEvent {
  /** `added`: a MessageAccepted (status SENT); `status`: a MessageStatusChanged. */
  kind: 'added' | 'status';
  conversationId: string;
  messageId: string;
  status: MessageStatus;
  /** The status this gateway saw last for the message; null when it saw none (a new message, or it started later). */
  previousStatus: MessageStatus | null;
  cursor: string;
}

export type Listener = (event: LiveEvent) => void;

/**
 * In-process fan-out of this gateway's Kafka feed: listeners per conversation id, and listeners of every event
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
