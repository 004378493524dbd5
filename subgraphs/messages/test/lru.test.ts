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

  it('with a budget, holds at most that much weight, least recently used out; an entry heavier than it is not kept', () => {
    const lru = new TtlLru<string, number>(100, 10_000, clock, { max: 10, weigh: (key) => key.length });
    lru.set('aaaa', 1);
    lru.set('bbbb', 2);
    expect(lru.get('aaaa')).toBe(1); // bbbb is now the least recently used
    lru.set('cccc', 3); // 12 in all: bbbb goes
    expect([lru.get('aaaa'), lru.get('bbbb'), lru.get('cccc')]).toEqual([1, undefined, 3]);
    lru.set('aaaa', 4); // setting again weighs it once
    expect(lru.size).toBe(2);
    lru.set('x'.repeat(11), 5);
    expect(lru.get('x'.repeat(11))).toBeUndefined();
    expect(lru.size).toBe(2); // nothing was pushed out for it
    lru.delete('cccc');
    lru.set('dddddd', 6); // 4 + 6: fits once cccc's weight was given back
    expect([lru.get('aaaa'), lru.get('dddddd')]).toEqual([4, 6]);
  });

  it('keeps the recency order through runs of hits on the newest entry, deletes and expiries', () => {
    const lru = new TtlLru<string, number>(3, 10_000, clock);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    expect([lru.get('c'), lru.get('c'), lru.get('a'), lru.get('a')]).toEqual([3, 3, 1, 1]); // order now b, c, a
    lru.set('d', 4); // evicts b
    expect(lru.get('b')).toBeUndefined();
    lru.delete('d'); // the newest one gone: c, a
    expect(lru.get('c')).toBe(3); // a, c
    lru.set('e', 5); // a, c, e
    lru.set('f', 6); // evicts a
    expect([lru.get('a'), lru.get('c'), lru.get('e'), lru.get('f')]).toEqual([undefined, 3, 5, 6]);
    now += 10_000; // every entry expires; the newest (f) is dropped on its miss like the others
    expect(lru.get('f')).toBeUndefined();
    lru.set('g', 7);
    expect([lru.size, lru.get('g')]).toEqual([3, 7]); // c and e still held (expired, dropped when asked or evicted)
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
