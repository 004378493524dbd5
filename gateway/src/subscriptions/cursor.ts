/** Where an event sits in Kafka: enough to resume right after it (resuming is a later step, see docs/subscriptions.md). */
export interface EventPosition {
  topic: string;
  partition: number;
  /** Decimal text: Kafka offsets are 64-bit. */
  offset: string;
}

/** The opaque cursor clients see: base64url of the position's JSON. */
export function encodeCursor(position: EventPosition): string {
  return Buffer.from(JSON.stringify({ topic: position.topic, partition: position.partition, offset: position.offset })).toString('base64url');
}

/** The position a cursor names, or null when it is not one of ours. */
export function decodeCursor(cursor: string): EventPosition | null {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const { topic, partition, offset } = value;
    if (typeof topic !== 'string' || !Number.isInteger(partition) || typeof offset !== 'string' || !/^\d+$/.test(offset)) return null;
    return { topic, partition: partition as number, offset };
  } catch {
    return null;
  }
}
