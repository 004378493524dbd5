import { isMessageId } from './ids';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export class InvalidPageSizeError extends RangeError {
  constructor(readonly first: unknown) {
    super(`first must be an integer from 1 to ${MAX_PAGE_SIZE} (got ${String(first)})`);
    this.name = 'InvalidPageSizeError';
  }
}

export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super(`invalid cursor: "${cursor}"`);
    this.name = 'InvalidCursorError';
  }
}

export function pageSize(first: number | undefined): number {
  if (first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw new InvalidPageSizeError(first);
  return first;
}

/**
 * A cursor names the last message of a page; the next page is everything older. Because ids grow with time, newer
 * messages never shift later pages. The form is opaque to clients (base64url of a versioned JSON object) so it can
 * change without breaking them.
 */
interface CursorBody {
  v: 1;
  id: string;
}

export function encodeCursor(messageId: string): string {
  const body: CursorBody = { v: 1, id: messageId };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** The message id a cursor points at; throws InvalidCursorError for anything this module did not produce. */
export function decodeCursor(cursor: string): string {
  let body: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  if (typeof body !== 'object' || body === null) throw new InvalidCursorError(cursor);
  const { v, id } = body as Partial<Record<keyof CursorBody, unknown>>;
  if (v !== 1 || typeof id !== 'string' || !isMessageId(id)) throw new InvalidCursorError(cursor);
  return id;
}
