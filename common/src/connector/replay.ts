/** `in_flight`: the same event is being handled right now (its first delivery has not answered yet). */
export type ReplayVerdict = 'new' | 'in_flight' | 'replayed' | 'stale';

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
 * `confirm` marks it handled (later deliveries are replays); `release` gives the id back when processing failed and
 * the platform should be allowed to deliver it again. A delivery arriving while the first is still being handled is
 * told `in_flight`, not `replayed`: the first may yet fail, and a platform stops redelivering on a refusal.
 */
export class ReplayGuard {
  // Insertion order = reservation order; values: when each id may be forgotten, and whether it was handled.
  private readonly seen = new Map<string, { forgetAt: number; handled: boolean }>();
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
    const known = this.seen.get(eventId);
    if (known) return known.handled ? 'replayed' : 'in_flight';
    this.seen.set(eventId, { forgetAt: Math.max(stamp, now) + this.options.windowMs, handled: false });
    while (this.seen.size > this.options.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
    return 'new';
  }

  confirm(eventId: string): void {
    const known = this.seen.get(eventId);
    if (known) known.handled = true;
  }

  release(eventId: string): void {
    this.seen.delete(eventId);
  }

  private evict(now: number): void {
    // Expiry times grow roughly with insertion order; stop at the first live entry rather than scan everything.
    for (const [id, { forgetAt }] of this.seen) {
      if (forgetAt > now) break;
      this.seen.delete(id);
    }
  }
}
