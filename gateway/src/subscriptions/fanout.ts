import type { MessageStatus } from '@chat4all/common';
import type { PositionVector } from './cursor';
import type { FeedBacklog } from './stream';

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

/** How far the fan-out may run ahead of its subscribers (see FanOut). */
export interface FanOutPacing {
  /** Feed events waiting per listener, on average over all listeners, before the next event waits for room. */
  ahead: number;
  /** Longest wait for room per event: subscriptions stuck on something else (a subgraph timing out) hold the rest back no longer. */
  maxPauseMs: number;
  /** Told how long each wait for room took. */
  waited?: (ms: number) => void;
}

export const DEFAULT_PACING: FanOutPacing = { ahead: 64, maxPauseMs: 1_000 };

/**
 * In-process fan-out of this gateway's feed: listeners per conversation id, and listeners of every event
 * (`myEvents`, which filters by membership itself). Listeners must not block: each pushes into its own bounded queue.
 *
 * Each event is delivered in two steps. First its resolutions start, one per distinct prefetch key, and the event loop
 * gets one turn, so their subgraph requests are on the wire; then every listener is handed the event. Handing it to
 * 10,000 listeners (and the queue reads they wake) keeps the thread busy for tens of milliseconds, which the
 * resolutions' round trips now overlap instead of following. Events are delivered in publish order, each to every
 * listener before the next.
 *
 * Pacing: events due faster than the gateway can resolve and write them must wait in Kafka, not in memory. The
 * subscribers' streams report the feed events waiting in their queues (`backlog`); while they hold `ahead` per
 * listener on average, the next event waits (so does `publish`, and with it the feed's reader) until one is taken, at
 * most `maxPauseMs`. Without it, a burst the gateway could not keep up with would fill every queue to SUBSCRIPTION_BUFFER,
 * with a resolution started per event, and then close every subscriber with 4429 for the gateway's own slowness.
 * One subscriber's queue does not hold the feed: it is one listener in the average, and closed at its own bound.
 */
export class FanOut {
  private readonly audiences = new Map<string | null, Audience>();
  private readonly due: { event: LiveEvent; delivered(): void; failed(error: unknown): void }[] = [];
  private draining = false;
  private listeners = 0;
  /** Feed events waiting in listeners' queues. */
  private waiting = 0;
  private wake: (() => void) | null = null;

  constructor(private readonly pacing: FanOutPacing = DEFAULT_PACING) {}

  /** Where subscriber streams report the feed events waiting in their queues. */
  readonly backlog: FeedBacklog = {
    add: (delta: number): void => {
      this.waiting += delta;
      if (delta < 0 && this.wake && this.hasRoom()) this.wake();
    },
  };

  /** Feed events waiting in listeners' queues now. */
  get waitingEvents(): number {
    return this.waiting;
  }

  /** Listens to one conversation (or, with null, to every conversation); returns the function that stops it. */
  listen(conversationId: string | null, listener: Listener, prefetcher?: Prefetcher): () => void {
    let audience = this.audiences.get(conversationId);
    if (!audience) this.audiences.set(conversationId, (audience = { listeners: new Set(), prefetchers: new Map() }));
    const joined = audience;
    joined.listeners.add(listener);
    this.listeners++;
    let sameKey: Set<Prefetcher> | undefined;
    if (prefetcher) {
      sameKey = joined.prefetchers.get(prefetcher.key);
      if (!sameKey) joined.prefetchers.set(prefetcher.key, (sameKey = new Set()));
      sameKey.add(prefetcher);
    }
    let listening = true;
    return () => {
      if (!listening) return;
      listening = false;
      this.listeners--;
      joined.listeners.delete(listener);
      if (prefetcher && sameKey) {
        sameKey.delete(prefetcher);
        if (sameKey.size === 0 && joined.prefetchers.get(prefetcher.key) === sameKey) joined.prefetchers.delete(prefetcher.key);
      }
      if (joined.listeners.size === 0 && conversationId !== null && this.audiences.get(conversationId) === joined) this.audiences.delete(conversationId);
    };
  }

  get listenerCount(): number {
    return this.listeners;
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
          // Room first: the resolutions it starts are work ahead of the subscribers too. (No await when there is room:
          // an event nobody prefetches is then delivered within publish, as before any wait.)
          const full = this.room();
          if (full) await full;
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

  private hasRoom(): boolean {
    return this.waiting < this.pacing.ahead * Math.max(1, this.listeners);
  }

  /** Undefined when the listeners' queues have room for the next event; else resolves once they do, or after `maxPauseMs`. */
  private room(): Promise<void> | undefined {
    if (this.hasRoom()) return undefined;
    const started = performance.now();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        this.pacing.waited?.(performance.now() - started);
        resolve();
      };
      const timer = setTimeout(done, this.pacing.maxPauseMs);
      this.wake = done;
    });
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
