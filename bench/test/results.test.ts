import { medianBy } from '../src/results';

describe('medianBy', () => {
  it('takes the item whose key is the median, the lower middle one for an even count', () => {
    const rounds = [{ rps: 51 }, { rps: 39 }, { rps: 105 }];
    expect(medianBy(rounds, (r) => r.rps)).toBe(rounds[0]);
    expect(medianBy([{ p99: 40 }, { p99: 10 }, { p99: 30 }, { p99: 20 }], (r) => r.p99)).toEqual({ p99: 20 });
    expect(medianBy([{ p99: 7 }], (r) => r.p99)).toEqual({ p99: 7 });
    expect(rounds.map((r) => r.rps)).toEqual([51, 39, 105]); // not sorted in place
  });

  it('refuses an empty list rather than answering undefined', () => {
    expect(() => medianBy([], (n: number) => n)).toThrow('no items');
  });
});
