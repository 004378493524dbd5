/**
 * Rules for text people send, defined once for every service.
 */

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether `text` is well-formed UTF-16: no lone surrogate, which no UTF-8 store can hold (PostgreSQL, Cassandra and
 * SQLite write U+FFFD instead), so what was stored would differ from what the client was told it sent.
 */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
