import { isUuid } from '@chat4all/common';
import { InvalidCursorError } from './port';

/** Where a page of conversations stopped: the last item's activity time and id (its tie-breaker). */
export interface ConversationCursor {
  lastActivityAt: Date;
  id: string;
}

// Opaque to clients: base64url of a small JSON array, so its shape can change without an API change.
export function encodeConversationCursor(cursor: ConversationCursor): string {
  return Buffer.from(JSON.stringify([cursor.lastActivityAt.toISOString(), cursor.id])).toString('base64url');
}

export function decodeConversationCursor(cursor: string): ConversationCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  if (Array.isArray(parsed) && parsed.length === 2) {
    const [at, id] = parsed as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && isUuid(id)) {
      const lastActivityAt = new Date(at);
      // Only a time as this module writes it (a 4-digit year from 0001): JavaScript parses dates PostgreSQL refuses to
      // take, such as year 0000 (ISO's 1 BC) as text.
      const written = !Number.isNaN(lastActivityAt.getTime()) && lastActivityAt.toISOString() === at && /^\d{4}-/.test(at);
      if (written && lastActivityAt.getUTCFullYear() >= 1) return { lastActivityAt, id };
    }
  }
  throw new InvalidCursorError(cursor);
}
