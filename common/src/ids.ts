import { randomBytes } from 'node:crypto';

/**
 * Time-ordered ids: UUIDv7 (RFC 9562) in canonical lower-case text. 48 bits of Unix milliseconds come first, so the
 * text form sorts in time order byte by byte (Cassandra clusters `text` that way; S3 lists keys that way).
 *
 * Within one process ids are strictly increasing: the 12-bit rand_a field is a counter seeded at random each
 * millisecond (RFC 9562 §6.2 method 1); if it overflows, the timestamp borrows the next millisecond. One definition
 * for every service, so all ids made in a process share the one sequence.
 */
const UUID_V7_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MAX_MS = 2 ** 48 - 1;

let lastMs = -1;
let counter = 0;

/**
 * A new UUIDv7. Without an argument it reads the clock and is strictly increasing within the process (a clock
 * stepping back less than 10 s keeps counting from the last id). With an explicit time (imports, tests) the id
 * carries that millisecond (the next one only after 4096 ids in it); a time older than the last id gets a random
 * counter and leaves the sequence alone.
 */
export function newUuidV7(atMs?: number): string {
  const fromClock = atMs === undefined;
  const nowMs = atMs ?? Date.now();
  if (!Number.isInteger(nowMs) || nowMs < 0 || nowMs > MAX_MS) throw new RangeError(`UUIDv7 time out of range: ${nowMs}`);
  let ms: number;
  let seq: number;
  if (nowMs > lastMs) {
    ms = nowMs;
    seq = randomBytes(2).readUInt16BE(0) & 0x7ff; // top bit clear leaves headroom before overflow
  } else if (nowMs === lastMs || (fromClock && lastMs - nowMs < 10_000)) {
    ms = lastMs;
    seq = counter + 1;
    if (seq > 0xfff) {
      ms = lastMs + 1; // counter exhausted: borrow the next millisecond
      seq = 0;
    }
  } else {
    return format(nowMs, randomBytes(2).readUInt16BE(0) & 0xfff);
  }
  lastMs = ms;
  counter = seq;
  return format(ms, seq);
}

function format(ms: number, seq: number): string {
  const rand = randomBytes(8);
  rand[0] = (rand[0]! & 0x3f) | 0x80; // variant 10
  const hex = ms.toString(16).padStart(12, '0') + (0x7000 | seq).toString(16) + rand.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** UUID text of any version, either case: user and conversation ids (PostgreSQL uuid columns). */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/**
 * A UUID argument as our ids are spelled (lower case), or null when it is not a UUID. Ids are compared as text in the
 * message store, the event stream and the caches, so an id in another case must be made canonical before it is used.
 */
export function canonicalUuid(value: string): string | null {
  return isUuid(value) ? value.toLowerCase() : null;
}

/** Lower-case canonical UUIDv7 text only (upper case would sort differently). */
export function isUuidV7(value: string): boolean {
  return UUID_V7_PATTERN.test(value);
}

/** Milliseconds since the Unix epoch encoded in the id; RangeError when it is not UUIDv7 text. */
export function uuidV7Time(id: string): number {
  if (!isUuidV7(id)) throw new RangeError(`not a UUIDv7 (lower-case canonical text expected): "${id}"`);
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
