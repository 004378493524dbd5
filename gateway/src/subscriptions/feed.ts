import { MessageStatusChanged, TOPICS, decodeEvent, type EventBus, type Logger, type Reader } from '@chat4all/common';
import { encodeCursor, type PositionVector } from './cursor';
import type { FanOut } from './fanout';
import { StatusMemory, liveEvent } from './status';

export interface Feed {
  /** True while the reader is positioned at the live edge: events published from then on reach subscribers. */
  readonly ready: boolean;
  /** Per partition, the last offset handed to the fan-out (or passed over): where a fresh subscription starts. */
  position(): PositionVector;
  stop(): Promise<void>;
}

export interface FeedOptions {
  /** Records read per partition before the live edge, only to learn the statuses of messages in flight. */
  lookback: number;
}

/** Statuses remembered to fill `previousStatus`: enough for the messages in flight, forgotten after an hour. */
export const STATUS_MEMORY = { entries: 100_000, ttlMs: 60 * 60_000 };

/** Where a read that learns statuses first starts: up to `lookback` records before `next`, within what is retained. */
export function lookbackStart(oldest: bigint, next: bigint, lookback: number): bigint {
  const start = next - BigInt(lookback);
  return start > oldest ? start : oldest;
}

/**
 * This gateway instance's view of the message events: one group-less reader of `messages.status` (the port's `read`,
 * so it runs on Kafka and on the embedded bus alike), at the live edge. Every instance behind a load balancer reads
 * every event and serves its own subscribers; it commits nothing. One conversation's events are in one partition in
 * order (the router's SENT, once the message is stored, comes first), so no reordering is needed. Before the live
 * edge it reads `lookback` records per partition only to learn the statuses of messages in flight. Records it cannot
 * decode are logged and skipped (the platform's consumers dead-letter them).
 */
export async function startFeed(bus: Pick<EventBus, 'offsets' | 'read'>, fanOut: FanOut, log: Logger, options: FeedOptions): Promise<Feed> {
  const topic = TOPICS.messagesStatus;
  const start = await bus.offsets(topic);
  const liveFrom = start.map((o) => BigInt(o.end));
  let position: PositionVector = liveFrom.map((end) => end - 1n);
  const memory = new StatusMemory(STATUS_MEMORY.entries, STATUS_MEMORY.ttlMs);
  const from: Record<number, string> = {};
  for (const o of start) from[o.partition] = String(lookbackStart(BigInt(o.oldest), BigInt(o.end), options.lookback));

  let ready = false;
  const reader: Reader = await bus.read({
    topic,
    from,
    handler: async (record) => {
      const { partition } = record;
      const offset = BigInt(record.offset);
      const live = offset >= (liveFrom[partition] ?? 0n);
      if (live) {
        // Copy on write: each event keeps the position it was handed over at.
        const next = [...position];
        next[partition] = offset;
        position = next;
      }
      let changed: MessageStatusChanged;
      try {
        changed = decodeEvent(MessageStatusChanged, record.value);
      } catch (error) {
        log.warn({ err: error, topic, partition, offset: record.offset }, 'subscription feed skipped a record it cannot decode');
        return;
      }
      const moved = memory.advance(changed.messageId, changed.status);
      if (!live || !moved) return;
      await fanOut.publish(liveEvent(changed, { partition, offset, position, cursor: encodeCursor(position) }, moved.previousStatus));
    },
  });
  ready = true;
  log.info({ topic, partitions: start.length }, 'subscription feed reading at the live edge');

  return {
    get ready() {
      return ready;
    },
    position: () => position,
    async stop() {
      ready = false;
      await reader.stop();
    },
  };
}
