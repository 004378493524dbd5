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
 * Starts resolving an event for a listener before any listener is handed it. Listeners with the same `key` (the same
 * selection: resolve.ts shares one resolution among them) need one start per event.
 */
export interface Prefetcher {
  key: string;
  /** Starts the event's resolution as this listener, when it may (it wants the event and is a member by the cache). */
  start(event: LiveEvent): boolean;
}

/** Listeners of one conversation (or, under null, of every conversation). */
interface Audience {
  listeners: Set<Listener>;
  /** Per key, the listeners' prefetchers: each event tries them in turn until one starts. */
  prefetchers: Map<string, Set<Prefetcher>>;
}

/** Lets pending I/O (a resolution's request just started) go out before the next long synchronous stretch. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * In-process fan-out of this gateway's feed: listeners per conversation id, and listeners of every event
 * (`myEvents`, which filters by membership itself). Listeners must not block: each pushes into its own bounded queue.
 *
 * Each event is delivered in two steps. First its resolutions start, one per distinct prefetch key, and the event loop
 * gets one turn, so their subgraph requests are on the wire; then every listener is handed the event. Handing it to
 * 10,000 listeners (and the queue reads they wake) keeps the thread busy for tens of milliseconds, which the
 * resolutions' round trips now overlap instead of following. Events are delivered in publish order, each to every
 * listener before the next.
 */
export class FanOut {
  private readonly audiences = new Map<string | null, Audience>();
  private readonly due: { event: LiveEvent; delivered(): void; failed(error: unknown): void }[] = [];
  private draining = false;

  /** Listens to one conversation (or, with null, to every conversation); returns the function that stops it. */
  listen(conversationId: string | null, listener: Listener, prefetcher?: Prefetcher): () => void {
    let audience = this.audiences.get(conversationId);
    if (!audience) this.audiences.set(conversationId, (audience = { listeners: new Set(), prefetchers: new Map() }));
    const joined = audience;
    joined.listeners.add(listener);
    let sameKey: Set<Prefetcher> | undefined;
    if (prefetcher) {
      sameKey = joined.prefetchers.get(prefetcher.key);
      if (!sameKey) joined.prefetchers.set(prefetcher.key, (sameKey = new Set()));
      sameKey.add(prefetcher);
    }
    return () => {
      joined.listeners.delete(listener);
      if (prefetcher && sameKey) {
        sameKey.delete(prefetcher);
        if (sameKey.size === 0 && joined.prefetchers.get(prefetcher.key) === sameKey) joined.prefetchers.delete(prefetcher.key);
      }
      if (joined.listeners.size === 0 && conversationId !== null && this.audiences.get(conversationId) === joined) this.audiences.delete(conversationId);
    };
  }

  get listenerCount(): number {
    let count = 0;
    for (const audience of this.audiences.values()) count += audience.listeners.size;
    return count;
  }

  /** Resolves once every listener has been handed the event (after the events published before it). */
  publish(event: LiveEvent): Promise<void> {
    return new Promise<void>((delivered, failed) => {
      this.due.push({ event, delivered, failed });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let next = this.due.shift(); next; next = this.due.shift()) {
        try {
          if (this.prefetch(next.event)) await nextTurn();
          this.deliver(next.event);
          next.delivered();
        } catch (error) {
          next.failed(error);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Starts the event's resolutions: per key, the first prefetcher that may. True when any started. */
  private prefetch(event: LiveEvent): boolean {
    let started = false;
    for (const audience of [this.audiences.get(event.conversationId), this.audiences.get(null)]) {
      for (const sameKey of audience?.prefetchers.values() ?? []) {
        for (const prefetcher of sameKey) {
          if (prefetcher.start(event)) {
            started = true;
            break;
          }
        }
      }
    }
    return started;
  }

  private deliver(event: LiveEvent): void {
    for (const listener of this.audiences.get(event.conversationId)?.listeners ?? []) listener(event);
    for (const listener of this.audiences.get(null)?.listeners ?? []) listener(event);
  }
}
