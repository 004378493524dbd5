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

async function deadLetter(record: BusRecord, error: PoisonEventError, attempt: number, ctx: DeliveryContext): Promise<void> {
  const topic = await publishDeadLetter(ctx.publish, ctx.groupId, record, { kind: 'poison', reason: error.reason, attempts: attempt });
  ctx.log.warn({ topic: record.topic, partition: record.partition, offset: record.offset, deadLetterTopic: topic, reason: error.reason }, 'poison record dead-lettered');
}

function logFailure(ctx: DeliveryContext, record: BusRecord, attempt: number, error: unknown, message: string): void {
  ctx.log.warn({ groupId: ctx.groupId, topic: record.topic, partition: record.partition, offset: record.offset, attempt, err: error }, message);
}
