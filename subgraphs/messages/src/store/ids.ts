import { isUuidV7, newUuidV7, uuidV7Time } from '@chat4all/common';

/**
 * Message ids are UUIDv7 text from the shared generator (`@chat4all/common` ids): 48 bits of Unix milliseconds
 * first, so the text form sorts in time order byte by byte. Cassandra stores them as `text`, whose clustering order
 * is that byte order (its `uuid` type orders non-v1 UUIDs by signed halves, and `timeuuid` text does not sort by time).
 * The names below are the message store's vocabulary over that one definition.
 */

/** A new message id; see `newUuidV7` for the ordering guarantees and the optional explicit time. */
export function newMessageId(atMs?: number): string {
  return newUuidV7(atMs);
}

export function isMessageId(value: string): boolean {
  return isUuidV7(value);
}

/** Milliseconds since the Unix epoch encoded in the id. */
export function messageIdTime(id: string): number {
  if (!isMessageId(id)) throw new InvalidMessageIdError(id);
  return uuidV7Time(id);
}

export class InvalidMessageIdError extends Error {
  constructor(readonly id: string) {
    super(`not a message id (lower-case UUIDv7 expected): "${id}"`);
    this.name = 'InvalidMessageIdError';
  }
}
