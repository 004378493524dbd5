/**
 * When a consumer group's handled offsets are committed. A commit is a round trip to the group coordinator and an
 * append to `__consumer_offsets`; committed after every fetched batch, a lightly loaded consumer (whose batches hold a
 * record or two) paid one per record. Here a subscription's handled offsets wait, and go together in one request:
 * - at the end of a batch, when the last commit is at least `intervalMs` old; otherwise (and within a long batch) a
 *   timer commits them when it is;
 * - at once when asked (`flush`): before a retry wait, at stop, and when the group starts rebalancing.
 * Only offsets of handled records are ever committed, so a late commit can repeat records (at-least-once), never skip one.
 */

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read (one past the last handled record), decimal text. */
  offset: string;
}

export interface CommitScheduleOptions {
  /** Sends one commit request for these partitions. */
  commit(offsets: PartitionOffset[]): Promise<void>;
  /** Longest time a handled record waits for its commit while the subscription runs. */
  intervalMs: number;
  /** A timer's commit failed; its offsets stay pending, and a timer tries again an interval later. */
  onTimerError(error: unknown): void;
  now?: () => number;
}

const keyOf = (topic: string, partition: number) => `${partition}\u0000${topic}`;

export class CommitSchedule {
  private readonly pending = new Map<string, PartitionOffset>();
  /** The last offset handed to `handled` per partition, to tell whether a failed commit's offset is still the newest. */
  private readonly newest = new Map<string, string>();
  private lastCommit: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: CommitScheduleOptions) {
    this.now = options.now ?? Date.now;
    this.lastCommit = this.now();
  }

  /**
   * Records that every record of the partition before `offset` is handled; a timer commits it once the last commit
   * is an interval old, also while a long batch is still being handled.
   */
  handled(topic: string, partition: number, offset: string): void {
    const key = keyOf(topic, partition);
    this.pending.set(key, { topic, partition, offset });
    this.newest.set(key, offset);
    this.arm(Math.max(0, this.dueIn()));
  }

  /** End of a batch: commits now if the last commit is an interval old, else makes sure a timer will. */
  async batchEnded(): Promise<void> {
    if (this.pending.size === 0) return;
    const due = this.dueIn();
    if (due <= 0) {
      await this.flush();
      return;
    }
    this.arm(due);
  }

  /**
   * Commits everything handled so far in one request. On failure the offsets stay pending, except a partition's that
   * a later record already moved past (its newer offset is pending or committed by a later call).
   */
  async flush(): Promise<void> {
    this.clearTimer();
    if (this.pending.size === 0) return;
    const offsets = [...this.pending.values()];
    this.pending.clear();
    this.lastCommit = this.now();
    try {
      await this.options.commit(offsets);
    } catch (error) {
      for (const o of offsets) {
        const key = keyOf(o.topic, o.partition);
        if (this.newest.get(key) === o.offset && !this.pending.has(key)) this.pending.set(key, o);
      }
      throw error;
    }
  }

  /** No timer after this; `flush` still commits (stop() flushes last). */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  /** Milliseconds until the last commit is an interval old (0 or less: it is). */
  private dueIn(): number {
    return this.lastCommit + this.options.intervalMs - this.now();
  }

  private arm(delayMs: number): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((error: unknown) => {
        this.options.onTimerError(error);
        if (this.pending.size > 0) this.arm(this.options.intervalMs);
      });
    }, delayMs);
    // Nothing is lost by exiting before it fires: stop() flushes, and a crash only repeats records.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
