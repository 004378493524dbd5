/**
 * Group commit for a producer: publish calls that arrive while a send is under way wait, and go together in the next
 * send, each call resolving once the send that carried its records resolved. One send is in flight at a time, so the
 * records of calls made in order are written in that order (per-key order holds), and under load each produce request
 * carries many records instead of one (what the Java producer's batching does; kafkajs sends one request per call).
 * An idle caller pays nothing extra: its call goes out at once.
 */

export interface Batch<R> {
  topic: string;
  records: readonly R[];
}

export interface CoalescerOptions<R> {
  /** Sends everything in one request; topics in first-call order, each topic's records in call order. */
  send(batches: Batch<R>[]): Promise<void>;
  /**
   * When a send carrying several calls fails, each call is tried again on its own (so that, e.g., one call to a
   * deleted topic cannot fail the others); return false to fail them all with the send's error instead.
   */
  retryAlone?(error: unknown): boolean;
  /** Most records in one send; a call larger than this goes alone. */
  maxRecords: number;
}

interface Pending<R> {
  topic: string;
  records: readonly R[];
  resolve(): void;
  reject(error: unknown): void;
}

export class PublishCoalescer<R> {
  private queue: Pending<R>[] = [];
  private sending = false;

  constructor(private readonly options: CoalescerOptions<R>) {}

  publish(topic: string, records: readonly R[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, records, resolve, reject });
      if (!this.sending) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const calls = this.take();
        try {
          await this.options.send(group(calls));
          for (const call of calls) call.resolve();
        } catch (error) {
          if (calls.length > 1 && this.options.retryAlone?.(error) === true) {
            for (const call of calls) {
              await this.options.send(group([call])).then(call.resolve, call.reject);
            }
          } else {
            for (const call of calls) call.reject(error);
          }
        }
      }
    } finally {
      this.sending = false;
    }
  }

  /** The next calls in order, up to maxRecords in all (at least one call). */
  private take(): Pending<R>[] {
    let count = 0;
    let n = 0;
    while (n < this.queue.length) {
      const size = this.queue[n]!.records.length;
      if (n > 0 && count + size > this.options.maxRecords) break;
      count += size;
      n += 1;
    }
    return this.queue.splice(0, n);
  }
}

function group<R>(calls: readonly Pending<R>[]): Batch<R>[] {
  const byTopic = new Map<string, R[]>();
  for (const { topic, records } of calls) {
    const list = byTopic.get(topic) ?? [];
    list.push(...records);
    byTopic.set(topic, list);
  }
  return [...byTopic].map(([topic, records]) => ({ topic, records }));
}
