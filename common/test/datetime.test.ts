import { Kind } from 'graphql';
import { DateTimeScalar } from '../src/graphql/datetime';

describe('DateTime scalar', () => {
  it('writes Dates and ISO text as UTC ISO-8601', () => {
    expect(DateTimeScalar.serialize(new Date('2026-11-26T17:00:00.123Z'))).toBe('2026-11-26T17:00:00.123Z');
    expect(DateTimeScalar.serialize('2026-11-26T18:00:00+01:00')).toBe('2026-11-26T17:00:00.000Z');
  });

  it('reads ISO text with a zone into a Date', () => {
    expect(DateTimeScalar.parseValue('2026-11-26T17:00:00.5Z')).toEqual(new Date('2026-11-26T17:00:00.500Z'));
    expect(DateTimeScalar.parseLiteral({ kind: Kind.STRING, value: '2026-11-26T17:00Z' })).toEqual(new Date('2026-11-26T17:00:00.000Z'));
  });

  it.each([['2026'], ['Nov 26 2026'], ['2026-11-26T17:00:00'], ['2026-13-45T99:00:00Z']])('refuses %j', (text) => {
    expect(() => DateTimeScalar.parseValue(text)).toThrow(/ISO-8601/);
  });

  it('refuses what is no date', () => {
    expect(() => DateTimeScalar.serialize(new Date(Number.NaN))).toThrow();
    expect(() => DateTimeScalar.serialize(42)).toThrow();
    expect(() => DateTimeScalar.parseValue(42)).toThrow();
    expect(() => DateTimeScalar.parseLiteral({ kind: Kind.INT, value: '42' })).toThrow();
  });
});
