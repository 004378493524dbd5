/**
 * A weight limit beside the count: the entries' weights (e.g. a text key's length) may add up to at most `max`; an
 * entry heavier than `max` on its own is not kept.
 */
export interface LruBudget<K, V> {
  max: number;
  weigh(key: K, value: V): number;
}

/**
 * A bounded map whose entries expire: at most `maxEntries` live entries (the least recently used is evicted first),
 * and with a `budget`, at most that much weight in all; each valid for `ttlMs` after it was set. Map iteration order is
 * insertion order, so re-inserting on every hit keeps the least recently used entry first.
 */
export class TtlLru<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number; weight: number }>();
  private weight = 0;
  /** The most recently used key: a hit on it has nothing to move (10,000 subscribers of one conversation ask in a row). */
  private newest: { key: K } | undefined;

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly budget?: LruBudget<K, V>,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer (got ${maxEntries})`);
    if (!(ttlMs >= 0)) throw new RangeError(`ttlMs must be >= 0 (got ${ttlMs})`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, or undefined when absent or expired (an expired entry is dropped). */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.delete(key);
      return undefined;
    }
    if (this.newest?.key !== key) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      this.newest = { key };
    }
    return entry.value;
  }

  /** The value when present and not expired, leaving the recency order as it is (a look, not a use). */
  peek(key: K): V | undefined {
    const entry = this.entries.get(key);
    return entry && entry.expiresAt > this.now() ? entry.value : undefined;
  }

  set(key: K, value: V): void {
    if (this.ttlMs === 0) return; // caching disabled
    const weight = this.budget?.weigh(key, value) ?? 0;
    this.delete(key);
    if (this.budget && weight > this.budget.max) return;
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs, weight });
    this.weight += weight;
    this.newest = { key };
    while (this.entries.size > this.maxEntries || (this.budget && this.weight > this.budget.max)) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.weight -= entry.weight;
    if (this.newest?.key === key) this.newest = undefined;
  }
}

/**
 * Records that never change once written, kept by id after they were read: a bounded LRU (least recently used out)
 * with no expiry, since a kept record cannot go stale. A miss is not kept (the record may be on its way).
 */
export class KeptRecords<V> {
  private readonly cache: TtlLru<string, V>;

  constructor(maxEntries: number) {
    this.cache = new TtlLru(maxEntries, Infinity);
  }

  keep(id: string, record: V): void {
    this.cache.set(id, record);
  }

  /**
   * A batch lookup: ids held are answered from memory, the others with ONE `load` call (answers aligned with the ids
   * it is given), in the order of `ids`. What `load` finds is kept.
   */
  async getMany(ids: readonly string[], load: (missing: readonly string[]) => Promise<(V | null)[]>): Promise<(V | null)[]> {
    const found = ids.map((id) => this.cache.get(id) ?? null);
    const missing = ids.filter((_, i) => found[i] === null);
    if (missing.length === 0) return found;
    const read = await load(missing);
    let next = 0;
    return found.map((value, i) => {
      if (value !== null) return value;
      const fresh = read[next++] ?? null;
      if (fresh !== null) this.cache.set(ids[i]!, fresh);
      return fresh;
    });
  }
}
