const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/**
 * A bounded first-in first-out queue read as an async iterator. `push` beyond `capacity` does not grow the queue:
 * it ends the iteration and calls `onOverflow` once (the caller closes the subscriber's socket), so a subscriber
 * that reads slower than events arrive costs at most `capacity` events of memory. A producer that can wait (a replay)
 * awaits `room()` before each push instead, so it never overflows: it goes at the reader's pace.
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: Error) => void } | null = null;
  private readonly roomWaiters: (() => void)[] = [];
  private ended = false;
  private held = false;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly capacity: number,
    private readonly onOverflow: () => void,
    private readonly onEnd: () => void = () => undefined,
    /** Told how many waiting items left the queue, taken by the reader or dropped at its end (handed straight to a waiting reader, an item never waits). */
    private readonly onLeave: (count: number) => void = () => undefined,
  ) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.ended) return;
    if (this.waiting && !this.held) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.capacity) {
      this.end();
      this.onOverflow();
      return;
    }
    this.items.push(item);
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** The reader is waiting for an item and none waits for it: an item given now would be the reader's next. */
  get idle(): boolean {
    return this.waiting !== null && this.items.length === 0 && !this.held && !this.ended;
  }

  /**
   * Keeps pushed items from the waiting reader until `release`: an item was handed on another way (stream.ts) and
   * the ones after it must not overtake it. They wait in the queue meanwhile, bounded as ever.
   */
  hold(): void {
    this.held = true;
  }

  /** Ends a `hold`: the waiting reader gets the first item that waited meanwhile, if any. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    if (!this.waiting || this.items.length === 0) return;
    const { resolve } = this.waiting;
    this.waiting = null;
    const item = this.items.shift() as T;
    this.onLeave(1);
    this.roomWaiters.shift()?.();
    resolve({ value: item, done: false });
  }

  /** Resolves once a push would not overflow (or the queue has ended). */
  room(): Promise<void> {
    if (this.ended || this.items.length < this.capacity) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Stops the iteration; queued items are dropped. With an error, the reader's next call rejects with it. Safe to call twice. */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const dropped = this.items.length;
    this.items.length = 0;
    if (dropped > 0) this.onLeave(dropped);
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting && error !== undefined) waiting.reject(asError(error));
    else if (waiting) waiting.resolve({ value: undefined, done: true });
    else if (error !== undefined) this.failure = { error };
    for (const wake of this.roomWaiters.splice(0)) wake();
    this.onEnd();
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) {
      this.onLeave(1);
      this.roomWaiters.shift()?.();
      return Promise.resolve({ value: item, done: false });
    }
    if (this.failure) {
      const { error } = this.failure;
      this.failure = undefined;
      return Promise.reject(asError(error));
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
