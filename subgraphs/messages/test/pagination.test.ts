import { bucketOfId, bucketOfTime } from '../src/store/buckets';
import { newMessageId } from '../src/store/ids';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, InvalidCursorError, InvalidPageSizeError, MAX_PAGE_SIZE, pageSize } from '../src/store/pagination';

describe('day buckets', () => {
  it('are the UTC day as yyyymmdd', () => {
    expect(bucketOfTime(Date.UTC(2024, 1, 29, 0, 0, 0, 0))).toBe(20240229);
    expect(bucketOfTime(Date.UTC(2024, 1, 29, 23, 59, 59, 999))).toBe(20240229);
    expect(bucketOfTime(Date.UTC(2024, 2, 1))).toBe(20240301);
    expect(bucketOfTime(Date.UTC(1999, 11, 31, 12))).toBe(19991231);
    expect(bucketOfTime(0)).toBe(19700101);
  });

  it('come from the id and order like the ids', () => {
    const a = newMessageId(Date.UTC(2025, 11, 31, 23, 59, 59, 999));
    const b = newMessageId(Date.UTC(2026, 0, 1));
    expect(bucketOfId(a)).toBe(20251231);
    expect(bucketOfId(b)).toBe(20260101);
    expect(bucketOfId(a)).toBeLessThan(bucketOfId(b));
  });
});

describe('cursors', () => {
  it('round-trip a message id through an opaque base64url string', () => {
    const id = newMessageId();
    const cursor = encodeCursor(id);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(id);
    expect(decodeCursor(cursor)).toBe(id);
  });

  it('reject what was not made by encodeCursor', () => {
    const bad = [
      '',
      'not base64!',
      Buffer.from('plain text').toString('base64url'),
      Buffer.from('{"v":2,"id":"0190a6a4-1b2c-7d3e-8f00-0123456789ab"}').toString('base64url'),
      Buffer.from('{"v":1,"id":"0190a6a4-1b2c-4d3e-8f00-0123456789ab"}').toString('base64url'),
      Buffer.from('null').toString('base64url'),
      Buffer.from('{"v":1}').toString('base64url'),
    ];
    for (const cursor of bad) expect(() => decodeCursor(cursor)).toThrow(InvalidCursorError);
  });
});

describe('page size', () => {
  it('defaults and accepts 1..MAX', () => {
    expect(pageSize(undefined)).toBe(DEFAULT_PAGE_SIZE);
    expect(pageSize(1)).toBe(1);
    expect(pageSize(MAX_PAGE_SIZE)).toBe(MAX_PAGE_SIZE);
  });

  it('rejects the rest with a message naming the bounds', () => {
    for (const first of [0, -3, MAX_PAGE_SIZE + 1, 2.5, Number.NaN]) {
      expect(() => pageSize(first)).toThrow(InvalidPageSizeError);
    }
    expect(() => pageSize(0)).toThrow(`first must be an integer from 1 to ${MAX_PAGE_SIZE} (got 0)`);
  });
});
