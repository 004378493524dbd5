import { randomUUID } from 'node:crypto';
import { decodeConversationCursor, encodeConversationCursor } from '../src/store/cursor';
import { InvalidCursorError } from '../src/store/port';

describe('conversation cursor', () => {
  it('round-trips time and id', () => {
    const cursor = { lastActivityAt: new Date('2026-11-26T17:00:00.123Z'), id: randomUUID() };
    const encoded = encodeConversationCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeConversationCursor(encoded)).toEqual(cursor);
  });

  it.each([
    ['not base64 JSON', '%%%'],
    ['JSON of the wrong shape', Buffer.from('{"a":1}').toString('base64url')],
    ['a bad date', Buffer.from(JSON.stringify(['yesterday', randomUUID()])).toString('base64url')],
    ['an id that is no uuid', Buffer.from(JSON.stringify([new Date().toISOString(), '1; drop table users'])).toString('base64url')],
    // JavaScript reads these; PostgreSQL would refuse them as parameters.
    ['a date before year 0', Buffer.from(JSON.stringify(['-271821-04-20T00:00:00.000Z', randomUUID()])).toString('base64url')],
    ['a date past year 9999', Buffer.from(JSON.stringify(['+275760-09-13T00:00:00.000Z', randomUUID()])).toString('base64url')],
    ['a date not as cursors write it', Buffer.from(JSON.stringify(['2026-11-26', randomUUID()])).toString('base64url')],
  ])('rejects %s', (_label, cursor) => {
    expect(() => decodeConversationCursor(cursor)).toThrow(InvalidCursorError);
  });
});
