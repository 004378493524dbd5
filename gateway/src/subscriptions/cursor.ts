/**
 * Where a subscriber stands in `messages.status`: per partition (index), the offset of the last record it has been
 * given or has passed over (-1n: none yet). Every event of every conversation lives in one partition, in order, so
 * this vector says exactly what a resumed subscription must still replay: each partition after its entry.
 */
export type PositionVector = readonly bigint[];

/** Versioned, so the format can change: a cursor of another version is refused like a garbled one. */
const VERSION = 'p1';
const MAX_PARTITIONS = 1_024;
/** Longest cursor accepted, so decoding stays cheap (1,024 partitions of 19-digit offsets fit). */
const MAX_CURSOR_LENGTH = 30_000;
const ENTRY = /^(-1|0|[1-9]\d{0,18})$/;

/** The opaque cursor clients see: base64url of `p1:<offset>.<offset>…`, one entry per partition. */
export function encodeCursor(position: PositionVector): string {
  return Buffer.from(`${VERSION}:${position.join('.')}`).toString('base64url');
}

/** The position a cursor names, or null when it is not one of ours (garbled, another version, not canonical). */
export function decodeCursor(cursor: string): PositionVector | null {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const [version, body, ...rest] = text.split(':');
  if (version !== VERSION || body === undefined || rest.length > 0) return null;
  const entries = body.split('.');
  if (entries.length > MAX_PARTITIONS || !entries.every((e) => ENTRY.test(e))) return null;
  const position = entries.map((e) => BigInt(e));
  // base64url decoding forgives stray characters; only the canonical spelling of a position is one of ours.
  return encodeCursor(position) === cursor ? position : null;
}

/**
 * Entry by entry the later of two positions (a missing entry counts as -1n): `a` itself when it is nowhere behind
 * `b` (the usual case: every subscriber takes each event's position, which is ahead of its own), so the common call
 * allocates nothing.
 */
export function furthest(a: PositionVector, b: PositionVector): PositionVector {
  if (a === b) return a;
  if (a.length >= b.length && b.every((y, p) => y <= a[p]!)) return a;
  const length = Math.max(a.length, b.length);
  const result: bigint[] = [];
  for (let p = 0; p < length; p++) {
    const x = a[p] ?? -1n;
    const y = b[p] ?? -1n;
    result.push(x >= y ? x : y);
  }
  return result;
}
