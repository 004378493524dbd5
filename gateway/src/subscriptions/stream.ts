import { encodeCursor, furthest, type PositionVector } from './cursor';
import type { LiveEvent } from './fanout';
import { BoundedQueue } from './queue';

/** Where a stream reports how many of the feed's events it holds waiting (+1 as one waits, −n as n leave). */
export interface FeedBacklog {
  add(delta: number): void;
}

const NO_BACKLOG: FeedBacklog = { add: () => undefined };

/**
 * Takes a live event straight to the subscription's socket (resolve.ts), for a subscriber with nothing under way: it
 * skips the queue and the reader's chain of promises. False when it cannot (the event then waits in the queue as
 * usual). True when it took the event: `done` is then called once the event was written or dropped, and the events
 * after it wait in the queue till then, so none overtakes it.
 */
export type DirectSink = (event: LiveEvent, done: () => void) => boolean;

/**
 * One subscription's events on their way to its socket, with its own position `covered` (what it has been given or
 * has passed over, per partition of `messages.status`); each event leaves with the cursor of the position after it.
 *
 * Fresh: live at once, from the feed's position when the listener was attached. Resumed: `covered` starts at the
 * cursor; live events are held (at most `capacity`, then 4429) while the replay pushes the records after the cursor
 * (awaiting room in the queue, so at the subscriber's pace); once the replay has read everything below the end
 * offsets taken after the listener was attached, `goLive` hands the held events over, dropping every one at or below
 * `covered` (the replay had it): no gap and no duplicate at the seam.
 *
 * The feed's events waiting in the queue are reported to `backlog` (the fan-out paces the feed by them: fanout.ts);
 * replayed ones are not, since a replay goes at its subscriber's pace anyway. Replayed events are all pushed before
 * the first live one, so the ones leaving the queue are replayed ones while any of those still wait.
 *
 * A live event that finds the reader waiting with nothing queued goes straight on (`direct`, when set): in the steady
 * state every event does, with no promise per subscriber. The queue holds the events after it until it is written.
 */
export class SubscriberStream {
  readonly queue: BoundedQueue<LiveEvent>;
  private covered: PositionVector;
  private held: LiveEvent[] | null;
  /** Replayed events waiting in the queue (ahead of every live one). */
  private replayedWaiting = 0;
  /** Where a live event goes when the reader waits with nothing queued (see DirectSink); unset, every event queues. */
  direct: DirectSink | undefined;

  constructor(
    private readonly capacity: number,
    start: { live: PositionVector } | { resumeAfter: PositionVector },
    private readonly onOverflow: () => void,
    onEnd: () => void,
    private readonly backlog: FeedBacklog = NO_BACKLOG,
  ) {
    this.queue = new BoundedQueue<LiveEvent>(capacity, onOverflow, onEnd, (count) => {
      const replayed = Math.min(count, this.replayedWaiting);
      this.replayedWaiting -= replayed;
      if (count > replayed) this.backlog.add(replayed - count);
    });
    if ('live' in start) {
      this.covered = start.live;
      this.held = null;
    } else {
      this.covered = start.resumeAfter;
      this.held = [];
    }
  }

  get position(): PositionVector {
    return this.covered;
  }

  get replaying(): boolean {
    return this.held !== null;
  }

  /** An event from the feed: delivered, or held while the replay runs. */
  live(event: LiveEvent): void {
    if (this.held === null) return this.offer(event, true);
    if (this.queue.isEnded) return;
    if (this.held.length >= this.capacity) {
      // More live events arrived during the replay than one subscription may hold: as slow as an overflowing queue.
      this.held = [];
      this.queue.end();
      this.onOverflow();
      return;
    }
    this.held.push(event);
  }

  /** A replayed event: waits for room in the queue, so a replay goes at the subscriber's pace. */
  async replayed(event: LiveEvent): Promise<void> {
    await this.queue.room();
    this.offer(event, false);
  }

  /** The replay has read every record below `end` (per partition): deliver the held live events after it. */
  goLive(end: PositionVector): void {
    this.covered = furthest(this.covered, end.map((e) => e - 1n));
    const held = this.held ?? [];
    this.held = null;
    for (const event of held) this.offer(event, true);
  }

  private offer(event: LiveEvent, fromFeed: boolean): void {
    if (this.queue.isEnded) return;
    if (event.offset <= (this.covered[event.partition] ?? -1n)) return; // already delivered (the replay had it)
    const covered = furthest(event.position, this.covered);
    this.covered = covered;
    // Usually the subscription is nowhere ahead of the feed: the event goes as it is, with the feed's cursor, the same
    // object for every subscriber (resolve.ts shares its resolution on that object). Ahead somewhere (just after a
    // replay), a copy carries the subscription's own cursor.
    const item = covered === event.position ? event : { ...event, cursor: encodeCursor(covered) };
    if (fromFeed && this.direct && this.queue.idle) {
      const { queue } = this;
      queue.hold();
      let released = false;
      const done = () => {
        if (released) return;
        released = true;
        queue.release();
      };
      if (this.direct(item, done)) return;
      queue.release();
    }
    const waiting = this.queue.size;
    this.queue.push(item);
    // Counted only when it waits: handed straight to a reader, or overflowing the queue, it does not.
    if (this.queue.size > waiting) {
      if (fromFeed) this.backlog.add(1);
      else this.replayedWaiting++;
    }
  }
}
