import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { PoisonEventError, decodeEvent } from '../contracts/events';
import type { Logger } from '../logging';
import type { BusRecord, EventBus, Subscription } from '../bus/port';
import { DEFAULT_ATTEMPT_POLICY, RetryLaterError, backoffDelayMs, checkAttemptPolicy, type AttemptPolicy } from './backoff';
import { publishDeadLetter, type DeadLetterKind } from '../bus/dead-letter';
import { TtlLru } from '../peers/lru';
import { startLagSampler, type LagSampler, type LagSource } from './lag';
import type { WorkerMetrics } from './metrics';

export interface HandlerContext {
  record: BusRecord;
  /** 1 for the first attempt at this record by this consumer. */
  attempt: number;
  /** The consumer's logger with the record's messageId, conversationId, topic, partition and offset. */
  log: Logger;
  /**
   * Aborted when the consumer stops. A handler may end a long wait early on it; the record then stays uncommitted and
   * is delivered again (to this group's next owner of the partition), so it is never lost.
   */
  stopping: AbortSignal;
}

export interface EventConsumerOptions<S extends z.ZodType> {
  bus: EventBus;
  groupId: string;
  /** Contract topic names (see `contracts/topics.ts`). */
  topics: readonly string[];
  /** Every record is decoded and validated with it first; a record that does not fit is dead-lettered as poison. */
  schema: S;
  /** The work for one event. Must be idempotent: a record can be delivered more than once. */
  handle(event: z.output<S>, context: HandlerContext): Promise<void>;
  /**
   * Runs when `handle` failed `maxAttempts` times, before the record is dead-lettered (e.g. to record the message as
   * FAILED). If it throws, the record is retried in place and it runs again, so it must be idempotent too.
   */
  onGiveUp?(event: z.output<S>, error: unknown, context: HandlerContext): Promise<void>;
  retry?: Partial<AttemptPolicy>;
  /** Partitions handled at the same time (per-key order holds at any value). Default 1. */
  concurrency?: number;
  /** Records of one partition handled at the same time, never two of one key. Default 1. */
  keyConcurrency?: number;
  /** A group without committed offsets starts at the oldest record (default), so nothing published before the first start is skipped. */
  fromBeginning?: boolean;
  metrics: WorkerMetrics;
  log: Logger;
  /** Samples the group's lag into the metrics. */
  lag?: { source: LagSource; intervalMs: number };
  /** The ids logged with each record; by default `messageId` / `conversationId` of the event or of its `message`. */
  identify?(event: z.output<S>): RecordIds;
  /** For tests: the randomness of the back-off jitter. */
  random?: () => number;
}

export interface RecordIds {
  messageId?: string;
  conversationId?: string;
}

export interface EventConsumer {
  readonly groupId: string;
  /** Lets the in-flight handler finish and commit, starts nothing new, leaves the group. Safe to call twice. */
  stop(): Promise<void>;
}

/** The least number of records under way remembered (see `states` in `startEventConsumer`). */
const RECORD_STATES_MIN = 1024;

/** Where the runtime is with a record under way (several per partition with keyConcurrency). */
interface RecordState {
  offset: string;
  failures: number;
  waits: number;
  /** Set once every attempt failed: a redelivery after a failed give-up goes straight back to giving up. */
  exhausted?: { error: unknown };
}

function pickString(source: Record<string, unknown>, key: string): string | undefined {
  const value = source[key];
  return typeof value === 'string' ? value : undefined;
}

/** Message events carry the ids at the top (accepted, status) or inside `message` (outbound). */
export function defaultRecordIds(event: unknown): RecordIds {
  if (typeof event !== 'object' || event === null) return {};
  const top = event as Record<string, unknown>;
  const inner = typeof top.message === 'object' && top.message !== null ? (top.message as Record<string, unknown>) : {};
  const ids: RecordIds = {};
  const messageId = pickString(top, 'messageId') ?? pickString(inner, 'messageId');
  const conversationId = pickString(top, 'conversationId') ?? pickString(inner, 'conversationId');
  if (messageId !== undefined) ids.messageId = messageId;
  if (conversationId !== undefined) ids.conversationId = conversationId;
  return ids;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * A consumer group member that runs `handle` for every event on `topics`, on top of the bus's delivery contract
 * (at-least-once, per-key order, commit only after the handler resolved; see `bus/port.ts`). What it adds:
 *
 * - Validation: each record is decoded with `schema`. A poison record (or a handler throwing `PoisonEventError`) is
 *   copied to the group's dead-letter topic with its raw bytes, the error and its origin in headers, then committed.
 * - Bounded retries: a failed attempt is retried in place after an exponential back-off with jitter; after
 *   `maxAttempts` failures `onGiveUp` runs, the record is dead-lettered and committed. Between attempts the record
 *   goes back to the bus, which commits what came before and sends a heartbeat, so a long series of attempts does not
 *   cost the group membership. `RetryLaterError` waits without using up an attempt.
 * - Metrics (processed, failed, waited, dead-lettered, attempt duration, lag) and JSON logs with the record's ids.
 */
export async function startEventConsumer<S extends z.ZodType>(options: EventConsumerOptions<S>): Promise<EventConsumer> {
  const { bus, groupId, schema, metrics } = options;
  const policy = checkAttemptPolicy({ ...DEFAULT_ATTEMPT_POLICY, ...options.retry });
  const random = options.random ?? Math.random;
  const identify = options.identify ?? defaultRecordIds;
  const log = options.log.child({ groupId });
  const stopping = new AbortController();
  const concurrency = options.concurrency ?? 1;
  const keyConcurrency = options.keyConcurrency ?? 1;
  // Entries of records under way only (a settled record's is deleted), each touched on every attempt: an LRU well
  // above the records that can be under way at once only ever drops records this member will not see again, those
  // whose partition moved to another member between two attempts (a rebalance gives the retried batch up), which a
  // plain map kept until the process ended.
  const states = new TtlLru<string, RecordState>(Math.max(RECORD_STATES_MIN, 4 * concurrency * keyConcurrency), Infinity);

  /** A wait that ends early (by throwing) when the consumer stops. */
  const pause = (ms: number) => sleep(ms, undefined, { signal: stopping.signal });

  async function deadLetter(record: BusRecord, recordLog: Logger, kind: DeadLetterKind, reason: string, attempts: number): Promise<void> {
    const topic = await publishDeadLetter((topic, records) => bus.publish(topic, records), groupId, record, { kind, reason, attempts });
    metrics.deadLettered.inc({ group: groupId, topic: record.topic, kind: kind === 'poison' ? 'poison' : 'gave_up' });
    recordLog.warn({ deadLetterTopic: topic, kind, reason, attempts }, 'record dead-lettered');
  }

  function stateOf(record: BusRecord): [string, RecordState] {
    // Kept while the record is retried in place (the bus hands the same offset again); dropped once it is settled.
    const slot = `${record.topic}/${record.partition}/${record.offset}`;
    let state = states.get(slot); // a use: each attempt makes it the most recent entry again
    if (!state) {
      state = { offset: record.offset, failures: 0, waits: 0 };
      states.set(slot, state);
    }
    return [slot, state];
  }

  async function onRecord(record: BusRecord): Promise<void> {
    const where = { topic: record.topic, partition: record.partition, offset: record.offset };
    const labels = { group: groupId, topic: record.topic };
    let event: z.output<S>;
    try {
      event = decodeEvent(schema, record.value);
    } catch (error) {
      if (!(error instanceof PoisonEventError)) throw error;
      // The key is the conversation id for every message event, the only id a poison record still offers.
      await deadLetter(record, log.child({ ...where, conversationId: record.key }), 'poison', error.reason, 0);
      return;
    }
    const recordLog = log.child({ ...identify(event), ...where });
    const [slot, state] = stateOf(record);
    const context = (): HandlerContext => ({ record, attempt: state.failures + 1, log: recordLog, stopping: stopping.signal });

    if (state.exhausted === undefined) {
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      try {
        await options.handle(event, context());
        metrics.duration.observe({ ...labels, outcome: 'success' }, seconds());
        metrics.processed.inc(labels);
        recordLog.info({ attempt: state.failures + 1, durationMs: Math.round(seconds() * 1000) }, 'record handled');
        states.delete(slot);
        return;
      } catch (error) {
        if (error instanceof PoisonEventError) {
          metrics.duration.observe({ ...labels, outcome: 'failure' }, seconds());
          await deadLetter(record, recordLog, 'poison', error.reason, state.failures + 1);
          states.delete(slot);
          return;
        }
        if (error instanceof RetryLaterError) {
          metrics.duration.observe({ ...labels, outcome: 'wait' }, seconds());
          metrics.waited.inc(labels);
          state.waits += 1;
          const delay = Math.min(error.retryAfterMs ?? backoffDelayMs(state.waits, policy, random), policy.maxDelayMs);
          recordLog.info({ reason: error.message, retryInMs: delay }, 'record waits before its next attempt');
          await pause(delay);
          throw error; // back to the bus: commit what came before, heartbeat, hand this record over again
        }
        metrics.duration.observe({ ...labels, outcome: 'failure' }, seconds());
        metrics.failed.inc(labels);
        state.failures += 1;
        if (state.failures < policy.maxAttempts) {
          const delay = backoffDelayMs(state.failures, policy, random);
          recordLog.warn({ err: error, attempt: state.failures, maxAttempts: policy.maxAttempts, retryInMs: delay }, 'handler failed; will retry');
          await pause(delay);
          throw error;
        }
        state.exhausted = { error };
        recordLog.error({ err: error, attempts: state.failures }, 'handler failed every attempt; giving up on the record');
      }
    }

    const { error } = state.exhausted;
    await options.onGiveUp?.(event, error, context());
    await deadLetter(record, recordLog, 'gave-up', errorText(error), state.failures);
    states.delete(slot);
  }

  const subscription: Subscription = await bus.subscribe({
    groupId,
    topics: options.topics,
    fromBeginning: options.fromBeginning ?? true,
    concurrency,
    keyConcurrency,
    // The runtime waits itself (with jitter, and stoppably); the bus only commits, heartbeats and hands the record back.
    retry: { initialDelayMs: 0, maxDelayMs: 0 },
    handler: onRecord,
  });

  let sampler: LagSampler | undefined;
  if (options.lag) {
    sampler = startLagSampler({ ...options.lag, metrics, groupId, topics: options.topics, log });
  }
  log.info({ topics: options.topics, maxAttempts: policy.maxAttempts }, 'consumer started');

  let stopped: Promise<void> | undefined;
  return {
    groupId,
    stop: () => {
      stopped ??= (async () => {
        sampler?.stop();
        // The bus stops handing out records first (synchronously), then waits end early; the in-flight handler finishes.
        const stoppingSubscription = subscription.stop();
        stopping.abort();
        await stoppingSubscription;
        log.info('consumer stopped');
      })();
      return stopped;
    },
  };
}
