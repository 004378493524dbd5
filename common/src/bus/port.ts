/**
 * The event bus port: what services need from Kafka, and what an in-process adapter must also honour.
 *
 * Delivery contract (every adapter; `describeBusContract` in `./contract.ts` checks it):
 * - At-least-once. A record is committed for a group only after the group's handler resolved for it. Records a
 *   member received but did not commit are delivered again to whichever member next owns the partition (after a
 *   stop, a crash or a rebalance), so a handler may see a record twice and must be idempotent.
 * - Order: records with the same key on the same topic reach a group's handler in publish order, one at a time.
 *   Different keys may be handled concurrently: records of different partitions (`concurrency`), and records of
 *   different keys within one partition (`keyConcurrency`). A partition is committed only up to its first record not
 *   yet handled, so a record handled out of offset order is never committed ahead of an earlier one.
 * - Handler errors are retried in place: the same record is handed to the handler again after a back-off that
 *   doubles from `retry.initialDelayMs` (100 ms) up to `retry.maxDelayMs` (30 s), for as long as the subscription runs. Later records
 *   of that key wait (per-key order forbids skipping), and so does the partition's commit point. The record is never committed by a failure; if the
 *   subscription stops or loses the partition meanwhile, the next owner receives it.
 * - Poison: a handler that throws `PoisonEventError` (from `decodeEvent`) says "retrying cannot help". The record is
 *   copied to the group's dead-letter topic `dlq.<groupId>` (same key, value and headers, plus the `dead-letter-*`
 *   headers below) and then committed. A failed dead-letter publish counts as a handler error (retried).
 * - `stop()` lets the in-flight handler finish (and commits its record if it succeeded), starts no new handler and
 *   no further retry, then leaves the group.
 *
 * Reading without a group (`offsets`, `read`; for the gateway's subscription feed and its resume):
 * - `offsets(topic)` answers, per partition, the oldest retained offset and the end offset (the next to be written).
 * - `read` hands every record of one topic to its handler, each partition in offset order, starting at the given
 *   offset per partition or, for a partition not named, at the end offset when `read` was called. It commits nothing
 *   and belongs to no group: two readers each get every record. `read` resolves once every partition is positioned,
 *   so every record published after it resolves is delivered. A handler may take its time (the reader waits and keeps
 *   its place). A handler error is logged and the reader goes on (there is no group to hand the record to again). `stop()` finishes the in-flight handler; none is called after it.
 */

export type BusHeaders = Record<string, string>;

export interface OutgoingRecord {
  /** Partitioning key: records with the same key keep their order. Use the conversation id for message events. */
  key: string;
  value: Buffer | string;
  headers?: BusHeaders;
}

export interface BusRecord {
  topic: string;
  partition: number;
  /** Decimal text: Kafka offsets are 64-bit. */
  offset: string;
  /** Every record published through the port has a key; a foreign record without one reads as ''. */
  key: string;
  value: Buffer;
  headers: BusHeaders;
}

export type RecordHandler = (record: BusRecord) => Promise<void>;

export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface SubscribeOptions {
  groupId: string;
  topics: readonly string[];
  /** Where a group without committed offsets starts: the oldest record (true) or only new ones (false, default). */
  fromBeginning?: boolean;
  /** How many partitions are handled at the same time (default 1). Per-key order holds at any value. */
  concurrency?: number;
  /**
   * How many records of one partition are handled at the same time, never two of one key (default 1: one at a time).
   * A handler that waits on I/O (a database write, a platform call) then keeps up with `keyConcurrency` times the rate.
   */
  keyConcurrency?: number;
  /** Back-off between attempts at a failing record. */
  retry?: Partial<RetryPolicy>;
  handler: RecordHandler;
}

export interface Subscription {
  /** Finishes the in-flight handler, commits what succeeded, leaves the group. Safe to call twice. */
  stop(): Promise<void>;
}

/** Per partition: the oldest offset still retained and the end offset (the next one to be written). */
export interface PartitionOffsets {
  partition: number;
  /** Decimal text, as record offsets. Equals `end` when the partition holds nothing (any longer). */
  oldest: string;
  end: string;
}

export interface ReadOptions {
  topic: string;
  /** The first offset to read, per partition (decimal text); partitions not named start at their end offset. */
  from?: Readonly<Record<number, string>>;
  handler: RecordHandler;
}

export interface Reader {
  /** Finishes the in-flight handler and releases the reader. Safe to call twice. */
  stop(): Promise<void>;
}

export interface EventBus {
  /** Resolves once every record is durably acknowledged (all in-sync replicas); rejects otherwise. */
  publish(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  /** Resolves once the consumer is running; rejects with `UnknownTopicError` for a topic that does not exist. */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Every partition of the topic, in partition order; rejects with `UnknownTopicError` for a topic that does not exist. */
  offsets(topic: string): Promise<PartitionOffsets[]>;
  /** A group-less reader of one topic (see above); rejects with `UnknownTopicError` for a topic that does not exist. */
  read(options: ReadOptions): Promise<Reader>;
  /** Stops every subscription and reader, then releases connections. */
  close(): Promise<void>;
}

/** Topics are created by migrations only; publishing or subscribing to any other name is a bug, reported at once. */
export class UnknownTopicError extends Error {
  constructor(readonly topic: string) {
    super(`topic "${topic}" does not exist (topics are created by \`npm run migrate\`)`);
    this.name = 'UnknownTopicError';
  }
}
