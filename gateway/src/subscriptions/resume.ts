import {
  ErrorCode,
  MessageStatusChanged,
  TOPICS,
  decodeEvent,
  graphqlError,
  rateLimited,
  unavailable,
  type EventBus,
  type Logger,
  type PartitionOffsets,
  type Reader,
} from '@chat4all/common';
import type { GraphQLError } from 'graphql';
import { encodeCursor, type PositionVector } from './cursor';
import { lookbackStart } from './feed';
import type { LiveEvent } from './fanout';
import { StatusMemory, liveEvent } from './status';
import type { SubscriberStream } from './stream';

/** Which events a subscription takes: one conversation's (or every one's, null), only `added` ones for messageAdded. */
export interface EventFilter {
  conversationId: string | null;
  addedOnly: boolean;
  /** With `conversationId` null (myEvents): the conversations the subscriber may belong to (member-lists.ts). */
  mayBelong?: (conversationId: string) => boolean;
}

export const matchesConversation = (filter: EventFilter, conversationId: string) =>
  filter.conversationId === null ? (filter.mayBelong?.(conversationId) ?? true) : filter.conversationId === conversationId;
export const wanted = (filter: EventFilter, event: LiveEvent) => matchesConversation(filter, event.conversationId) && (!filter.addedOnly || event.kind === 'added');

export interface ReplayLimits {
  /** Replays running at once on this instance (each is a reader); beyond it a resume is refused with RATE_LIMITED. */
  maxConcurrent: number;
  /** Records after the cursor (all partitions) one replay may read; a cursor further behind is CURSOR_EXPIRED. */
  maxRecords: number;
  /** Records read per partition before the cursor, only to learn the statuses of messages in flight. */
  lookback: number;
}

export type ReplayOutcome = 'completed' | 'refused' | 'expired' | 'abandoned' | 'failed';

export interface ReplayPlan {
  /** End offsets taken after the live listener was attached: the replay reads up to them, live events start there. */
  end: bigint[];
  /** Where the reader starts, per partition that has records after the cursor (lookback included). */
  from: Record<number, string>;
  /** Partitions with records after the cursor. */
  pending: Set<number>;
}

function cursorExpired(why: string): GraphQLError {
  return graphqlError(ErrorCode.CURSOR_EXPIRED, `${why}: load the conversation's history by query, then subscribe without \`after\``, { field: 'after' });
}

/** What a resume from `after` must read, or the CURSOR_EXPIRED error that says why it cannot. */
export function replayPlan(after: PositionVector, offsets: readonly PartitionOffsets[], limits: Pick<ReplayLimits, 'maxRecords' | 'lookback'>): ReplayPlan {
  if (after.length !== offsets.length) throw cursorExpired(`the cursor names ${after.length} partitions and the event log has ${offsets.length}`);
  const plan: ReplayPlan = { end: [], from: {}, pending: new Set() };
  let behind = 0n;
  for (const o of offsets) {
    const last = after[o.partition] ?? -1n;
    const oldest = BigInt(o.oldest);
    const end = BigInt(o.end);
    plan.end[o.partition] = end;
    if (last >= end) throw cursorExpired('the cursor is ahead of the event log (it was recreated)');
    if (last + 1n < oldest) throw cursorExpired('the events after this cursor are no longer retained');
    if (last + 1n < end) {
      plan.pending.add(o.partition);
      plan.from[o.partition] = String(lookbackStart(oldest, last + 1n, limits.lookback));
      behind += end - 1n - last;
    }
  }
  if (behind > BigInt(limits.maxRecords)) throw cursorExpired(`more than ${limits.maxRecords} events happened after this cursor`);
  return plan;
}

/** The event log could not be read back: the client's cursor is still good, so subscribing again later resumes. */
function cannotResume() {
  return unavailable('the events after your cursor could not be read: subscribe again with the same cursor in a moment');
}

/**
 * Resumes subscriptions: reads `messages.status` after a cursor with a reader of its own (the port's `read`), into a
 * subscription's stream, up to the end offsets taken after its live listener was attached; then the stream goes live.
 * Forward-only filtering and previousStatus come from a memory of this replay alone (seeded by the lookback records
 * before the cursor; a message none of whose earlier events were read gets its status's predecessor).
 */
export class Replays {
  private running = 0;

  constructor(
    private readonly bus: Pick<EventBus, 'offsets' | 'read'>,
    private readonly limits: ReplayLimits,
    private readonly log: Logger,
    private readonly onOutcome: (outcome: ReplayOutcome) => void = () => undefined,
  ) {}

  get active(): number {
    return this.running;
  }

  /**
   * Checks the cursor against the retained log and starts the replay (the stream's live listener must be attached
   * already). Throws the client's error (RATE_LIMITED, CURSOR_EXPIRED); returns the function that abandons it.
   */
  async start(after: PositionVector, stream: SubscriberStream, filter: EventFilter): Promise<() => void> {
    if (this.running >= this.limits.maxConcurrent) {
      this.onOutcome('refused');
      throw rateLimited(`at most ${this.limits.maxConcurrent} subscriptions resume at once on this gateway: retry in a moment`, 1);
    }
    this.running++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.running--;
    };
    let plan: ReplayPlan;
    try {
      plan = replayPlan(after, await this.bus.offsets(TOPICS.messagesStatus), this.limits);
    } catch (error) {
      release();
      if ((error as GraphQLError).extensions?.code === ErrorCode.CURSOR_EXPIRED) {
        this.onOutcome('expired');
        throw error;
      }
      this.log.error({ err: error }, 'replay refused: the log offsets could not be read');
      throw cannotResume();
    }
    if (plan.pending.size === 0) {
      stream.goLive(plan.end);
      release();
      this.onOutcome('completed');
      return () => undefined;
    }
    return this.run(after, plan, stream, filter, release);
  }

  private run(after: PositionVector, plan: ReplayPlan, stream: SubscriberStream, filter: EventFilter, release: () => void): () => void {
    const topic = TOPICS.messagesStatus;
    const memory = new StatusMemory(Math.max(1, Math.min(this.limits.maxRecords, 100_000)), 60 * 60_000);
    const done = new Set<number>();
    const started = Date.now();
    let read = 0;
    let delivered = 0;
    let finished = false;
    const finish = (outcome: ReplayOutcome, error?: unknown) => {
      if (finished) return;
      finished = true;
      if (outcome === 'completed') stream.goLive(plan.end);
      if (outcome === 'failed') stream.queue.end(error);
      this.onOutcome(outcome);
      this.log.info({ outcome, ms: Date.now() - started, read, delivered, partitions: plan.pending.size }, 'replay ended');
      // Stopped outside the handler: stop() waits for the handler in flight.
      setImmediate(() => {
        void reader
          .then((r) => r.stop())
          .catch(() => undefined)
          .finally(release);
      });
    };
    // Assigned before any handler runs (read() returns its promise at once); `finish` uses it only later.
    const reader: Promise<Reader> = this.bus.read({
      topic,
      from: plan.from,
      handler: async (record) => {
        const { partition } = record;
        const offset = BigInt(record.offset);
        const end = plan.end[partition] ?? 0n;
        if (finished || !plan.pending.has(partition) || offset >= end) return; // later records come live
        read++;
        let changed: MessageStatusChanged | undefined;
        try {
          changed = decodeEvent(MessageStatusChanged, record.value);
        } catch (error) {
          this.log.warn({ err: error, topic, partition, offset: record.offset }, 'replay skipped a record it cannot decode');
        }
        if (changed && matchesConversation(filter, changed.conversationId)) {
          const moved = memory.advance(changed.messageId, changed.status);
          if (moved && offset > (after[partition] ?? -1n)) {
            const position = after.map((_, p) => (p === partition ? offset : -1n));
            const event = liveEvent(changed, { partition, offset, position, cursor: encodeCursor(position) }, moved.previousStatus);
            if (wanted(filter, event)) {
              delivered++;
              await stream.replayed(event);
            }
          }
        }
        if (offset >= end - 1n) {
          done.add(partition);
          if (done.size === plan.pending.size) finish('completed');
        }
      },
    });
    reader.catch((error: unknown) => {
      this.log.error({ err: error }, 'replay reader failed');
      finish('failed', cannotResume());
    });
    return () => finish('abandoned');
  }
}
