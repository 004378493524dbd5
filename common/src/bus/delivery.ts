import { setTimeout as sleep } from 'node:timers/promises';
import { PoisonEventError } from '../contracts/events';
import type { Logger } from '../logging';
import { type BusRecord, type OutgoingRecord, type RecordHandler, type RetryPolicy } from './port';
import { publishDeadLetter } from './dead-letter';

/**
 * The part of the delivery contract every adapter shares (see `./port.ts`): run the handler, retry failures in place
 * with a doubling back-off, dead-letter poison. The adapter commits when this resolves `'handled'`.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialDelayMs: 100, maxDelayMs: 30_000 };

export interface DeliveryContext {
  groupId: string;
  handler: RecordHandler;
  retry: RetryPolicy;
  /** Aborted by `stop()`: the running attempt finishes, no further attempt starts. */
  signal: AbortSignal;
  /** Called before each retry (keeps group membership alive); may throw to give the record up, e.g. on a rebalance. */
  beforeRetry?: () => Promise<void>;
  publish(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  log: Logger;
}

/** `'handled'`: commit the record. `'abandoned'`: the subscription is stopping; leave it uncommitted. */
export type DeliveryOutcome = 'handled' | 'abandoned';

export async function deliverRecord(record: BusRecord, ctx: DeliveryContext): Promise<DeliveryOutcome> {
  let delayMs = ctx.retry.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    if (ctx.signal.aborted) return 'abandoned';
    try {
      await ctx.handler(record);
      return 'handled';
    } catch (error) {
      if (error instanceof PoisonEventError) {
        try {
          await deadLetter(record, error, attempt, ctx);
          return 'handled';
        } catch (dlqError) {
          logFailure(ctx, record, attempt, dlqError, 'dead-letter publish failed; retrying');
        }
      } else {
        logFailure(ctx, record, attempt, error, 'handler failed; retrying the same record');
      }
    }
    try {
      await sleep(delayMs, undefined, { signal: ctx.signal });
    } catch {
      return 'abandoned'; // aborted while waiting
    }
    delayMs = Math.min(delayMs * 2, ctx.retry.maxDelayMs);
    await ctx.beforeRetry?.();
  }
}

export interface PartitionRun {
  /** One partition's records, in offset order. */
  records: readonly BusRecord[];
  /** Most records handled at once (never two of one key). */
  keyConcurrency: number;
  /** Asked before each record starts: false ends the run (stop, lost partition); records not started stay unhandled. */
  mayStart(): boolean;
  /**
   * The unbroken run of handled records from the start grew: `record` is now its last one (where a commit may go).
   * Calls come one at a time, in offset order.
   */
  onHandled(record: BusRecord): Promise<void>;
}

/**
 * Delivers one partition's records with up to `keyConcurrency` at once: each key's records one after another in offset
 * order, different keys side by side. `onHandled` follows the handled prefix, so a commit never passes a record that
 * is not handled yet, whatever order the others finished in. Resolves once nothing runs any more; rejects with the
 * first error thrown out of `deliverRecord` (a lost partition), after the records under way finished.
 */
export async function deliverInKeyOrder(run: PartitionRun, ctx: DeliveryContext): Promise<void> {
  const { records } = run;
  const handled = new Array<boolean>(records.length).fill(false);
  const lastOfKey = new Map<string, Promise<void>>();
  const running = new Set<Promise<void>>();
  let prefix = 0;
  let progress: Promise<void> = Promise.resolve();
  let ended = false;
  let failure: unknown;

  const deliver = async (index: number, before: Promise<void> | undefined): Promise<void> => {
    await before; // the key's previous record; never rejects (see below)
    if (ended) return; // an earlier record of this key was not handled: this one must not overtake it
    const outcome = await deliverRecord(records[index]!, ctx);
    if (outcome === 'abandoned') {
      ended = true;
      return;
    }
    handled[index] = true;
    const from = prefix;
    while (prefix < records.length && handled[prefix]) prefix++;
    if (prefix > from) {
      const last = records[prefix - 1]!;
      progress = progress.then(() => run.onHandled(last));
      await progress;
    }
  };

  for (let i = 0; i < records.length; i++) {
    while (running.size >= Math.max(1, run.keyConcurrency)) await Promise.race(running);
    if (ended || !run.mayStart()) break;
    const key = records[i]!.key;
    const task = deliver(i, lastOfKey.get(key)).catch((error: unknown) => {
      failure ??= error;
      ended = true;
    });
    lastOfKey.set(key, task);
    running.add(task);
    void task.then(() => running.delete(task));
  }
  await Promise.all(running);
  await progress.catch((error: unknown) => {
    failure ??= error;
  });
  if (failure !== undefined) throw failure;
}

async function deadLetter(record: BusRecord, error: PoisonEventError, attempt: number, ctx: DeliveryContext): Promise<void> {
  const topic = await publishDeadLetter(ctx.publish, ctx.groupId, record, { kind: 'poison', reason: error.reason, attempts: attempt });
  ctx.log.warn({ topic: record.topic, partition: record.partition, offset: record.offset, deadLetterTopic: topic, reason: error.reason }, 'poison record dead-lettered');
}

function logFailure(ctx: DeliveryContext, record: BusRecord, attempt: number, error: unknown, message: string): void {
  ctx.log.warn({ groupId: ctx.groupId, topic: record.topic, partition: record.partition, offset: record.offset, attempt, err: error }, message);
}
