export type ReplayVerdict = 'new' | 'replayed' | 'stale';

export interface ReplayGuardOptions {
  /** Events stamped further than this from now (in the past or the future) are refused as stale. */
  windowMs: number;
  /** Most event ids remembered; the oldest go first when full. */
  maxEntries: number;
  now?: () => number;
}

/**
 * Refuses webhook events seen before (same event id) or stamped outside the time window. Ids need only be remembered
 * for the window, since anything older is refused by its timestamp anyway; the set is also bounded by count, so a
 * flood cannot grow it without limit (an id pushed out early could be replayed once, and the status it carries is
 * forward-only, so the harm is a duplicate event, not a wrong status).
 *
 * `reserve` claims an id before the event is processed, so two concurrent deliveries of one event cannot both pass;
 * `release` gives the id back when processing failed and the platform should be allowed to deliver it again.
 */
export class ReplayGuard {
  // Insertion order = reservation order; values are when each id may be forgotten.
  private readonly seen = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: ReplayGuardOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.seen.size;
  }

  reserve(eventId: string, at: Date): ReplayVerdict {
    const now = this.now();
    this.evict(now);
    const stamp = at.getTime();
    if (!Number.isFinite(stamp) || Math.abs(now - stamp) > this.options.windowMs) return 'stale';
    if (this.seen.has(eventId)) return 'replayed';
    this.seen.set(eventId, Math.max(stamp, now) + this.options.windowMs);
    while (this.seen.size > this.options.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
    return 'new';
  }

  release(eventId: string): void {
    this.seen.delete(eventId);
  }

  private evict(now: number): void {
    // Expiry times grow roughly with insertion order; stop at the first live entry rather than scan everything.
    for (const [id, forgetAt] of this.seen) {
      if (forgetAt > now) break;
      this.seen.delete(id);
    }
  }
}
