import { InvalidMessageIdError, isMessageId, messageIdTime, newMessageId } from '../src/store/ids';

describe('message ids (UUIDv7 text)', () => {
  it('are version 7, variant 10, lower-case canonical UUIDs', () => {
    const id = newMessageId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isMessageId(id)).toBe(true);
  });

  it('carry the millisecond they were made for', () => {
    const at = Date.UTC(2024, 1, 29, 23, 59, 59, 999);
    expect(messageIdTime(newMessageId(at))).toBe(at);
    expect(messageIdTime(newMessageId(0))).toBe(0);
    const before = Date.now();
    const t = messageIdTime(newMessageId());
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('sort as text in the order they were generated, even many in one millisecond', () => {
    const ids = Array.from({ length: 10_000 }, () => newMessageId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('sort as text by time across explicit times', () => {
    const times = [Date.UTC(2020, 0, 1), Date.UTC(2020, 0, 1, 0, 0, 0, 1), Date.UTC(2023, 5, 1), Date.UTC(2031, 11, 31)];
    const ids = [...times].reverse().map((t) => newMessageId(t));
    expect([...ids].sort().map(messageIdTime)).toEqual(times);
  });

  it('reject times outside 48 bits and non-integers', () => {
    expect(() => newMessageId(-1)).toThrow(RangeError);
    expect(() => newMessageId(2 ** 48)).toThrow(RangeError);
    expect(() => newMessageId(1.5)).toThrow(RangeError);
  });

  it('recognise only UUIDv7 text', () => {
    expect(isMessageId('0190a6a4-1b2c-4d3e-8f00-0123456789ab')).toBe(false); // version 4
    expect(isMessageId('0190A6A4-1B2C-7D3E-8F00-0123456789AB')).toBe(false); // upper case would sort differently
    expect(isMessageId('0190a6a4-1b2c-7d3e-cf00-0123456789ab')).toBe(false); // wrong variant
    expect(isMessageId('0190a6a4-1b2c-7d3e-8f00-0123456789ab')).toBe(true);
    expect(() => messageIdTime('nope')).toThrow(InvalidMessageIdError);
  });
});
