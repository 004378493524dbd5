import { isUuidV7, newUuidV7, uuidV7Time } from '../src/ids';

describe('UUIDv7 ids', () => {
  it('are version 7, variant 10, lower-case canonical UUIDs', () => {
    const id = newUuidV7();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isUuidV7(id)).toBe(true);
  });

  it('carry the millisecond they were made for', () => {
    const at = Date.UTC(2024, 1, 29, 23, 59, 59, 999);
    expect(uuidV7Time(newUuidV7(at))).toBe(at);
    expect(uuidV7Time(newUuidV7(0))).toBe(0);
    const before = Date.now();
    const t = uuidV7Time(newUuidV7());
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('sort as text in the order they were generated, even many in one millisecond', () => {
    const ids = Array.from({ length: 10_000 }, () => newUuidV7());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('reject times outside 48 bits and non-integers', () => {
    expect(() => newUuidV7(-1)).toThrow(RangeError);
    expect(() => newUuidV7(2 ** 48)).toThrow(RangeError);
    expect(() => newUuidV7(1.5)).toThrow(RangeError);
  });

  it('recognise only UUIDv7 text', () => {
    expect(isUuidV7('0190a6a4-1b2c-4d3e-8f00-0123456789ab')).toBe(false); // version 4
    expect(isUuidV7('0190A6A4-1B2C-7D3E-8F00-0123456789AB')).toBe(false);
    expect(isUuidV7('0190a6a4-1b2c-7d3e-cf00-0123456789ab')).toBe(false); // wrong variant
    expect(isUuidV7('0190a6a4-1b2c-7d3e-8f00-0123456789ab')).toBe(true);
    expect(() => uuidV7Time('../etc/passwd')).toThrow(RangeError);
  });
  // Last: it moves the sequence into the future, which the clock-based tests above must not see.
  it('borrow the next millisecond once the 12-bit counter runs out', () => {
    const at = Date.UTC(2100, 0, 1);
    const times = Array.from({ length: 4097 }, () => uuidV7Time(newUuidV7(at)));
    expect(times[0]).toBe(at);
    // The counter starts below 2048, so at least 2048 ids fit in the millisecond and 4097 cannot.
    const borrowed = times.indexOf(at + 1);
    expect(borrowed).toBeGreaterThanOrEqual(2048);
  });
});
