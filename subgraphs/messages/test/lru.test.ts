import { TtlLru } from '../src/peers/lru';

describe('TtlLru', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000;
  });

  it('answers until the TTL has passed, then forgets', () => {
    const lru = new TtlLru<string, number>(10, 100, clock);
    lru.set('a', 1);
    now += 99;
    expect(lru.get('a')).toBe(1);
    now += 1;
    expect(lru.get('a')).toBeUndefined();
    expect(lru.size).toBe(0);
  });

  it('a hit does not extend the TTL; setting again does', () => {
    const lru = new TtlLru<string, number>(10, 100, clock);
    lru.set('a', 1);
    now += 60;
    expect(lru.get('a')).toBe(1);
    now += 60;
    expect(lru.get('a')).toBeUndefined();
    lru.set('a', 2);
    now += 60;
    expect(lru.get('a')).toBe(2);
  });

  it('holds at most maxEntries, evicting the least recently used', () => {
    const lru = new TtlLru<string, number>(3, 10_000, clock);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    expect(lru.get('a')).toBe(1); // a is now the most recently used
    lru.set('d', 4);
    expect(lru.size).toBe(3);
    expect(lru.get('b')).toBeUndefined();
    expect([lru.get('a'), lru.get('c'), lru.get('d')]).toEqual([1, 3, 4]);
  });

  it('caches null values (a known absence) distinctly from a miss', () => {
    const lru = new TtlLru<string, number | null>(3, 100, clock);
    lru.set('gone', null);
    expect(lru.get('gone')).toBeNull();
    expect(lru.get('never')).toBeUndefined();
  });

  it('stores nothing when the TTL is 0, and rejects a bad bound', () => {
    const lru = new TtlLru<string, number>(3, 0, clock);
    lru.set('a', 1);
    expect(lru.get('a')).toBeUndefined();
    expect(() => new TtlLru(0, 100)).toThrow(/maxEntries/);
    expect(() => new TtlLru(3, -1)).toThrow(/ttlMs/);
  });
});
