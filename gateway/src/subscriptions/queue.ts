/**
 * A bounded first-in first-out queue read as an async iterator. `push` beyond `capacity` does not grow the queue:
 * it ends the iteration and calls `onOverflow` once (the caller closes the subscriber's socket), so a subscriber
 * that reads slower than events arrive costs at most `capacity` events of memory.
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private ended = false;

  constructor(
    private readonly capacity: number,
    private readonly onOverflow: () => void,
    private readonly onEnd: () => void = () => undefined,
  ) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
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

  /** Stops the iteration; queued items are dropped. Safe to call twice. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.items.length = 0;
    const resolve = this.waiting;
    this.waiting = null;
    resolve?.({ value: undefined, done: true });
    this.onEnd();
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
