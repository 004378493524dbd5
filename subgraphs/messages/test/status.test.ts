import { canAdvance, deriveStatus } from '../src/store/status';
import type { MessageStatus } from '../src/store/types';

const t = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);

describe('canAdvance', () => {
  const cases: [MessageStatus | null, MessageStatus, boolean][] = [
    [null, 'SENT', true],
    ['SENT', 'SENT', false],
    ['SENT', 'DELIVERED', true],
    ['SENT', 'READ', true],
    ['SENT', 'FAILED', true],
    ['DELIVERED', 'SENT', false],
    ['DELIVERED', 'DELIVERED', false],
    ['DELIVERED', 'READ', true],
    ['DELIVERED', 'FAILED', true],
    ['READ', 'DELIVERED', false],
    ['READ', 'READ', false],
    ['READ', 'FAILED', false],
    ['FAILED', 'READ', false],
    ['FAILED', 'DELIVERED', false],
    ['FAILED', 'FAILED', false],
  ];
  it.each(cases)('%s -> %s: %s', (current, next, expected) => {
    expect(canAdvance(current, next)).toBe(expected);
  });
});

describe('deriveStatus', () => {
  it('is SENT at creation without rows', () => {
    expect(deriveStatus(t(0), [])).toEqual({ status: 'SENT', statusHistory: [{ status: 'SENT', at: t(0) }] });
  });

  it('orders by rank, not by time, and whatever order the rows come in', () => {
    const rows = [
      { status: 'READ' as const, at: t(5) },
      { status: 'DELIVERED' as const, at: t(9) }, // clocks of different sources disagree
    ];
    const expected = {
      status: 'READ',
      statusHistory: [
        { status: 'SENT', at: t(0) },
        { status: 'DELIVERED', at: t(9) },
        { status: 'READ', at: t(5) },
      ],
    };
    expect(deriveStatus(t(0), rows)).toEqual(expected);
    expect(deriveStatus(t(0), [...rows].reverse())).toEqual(expected);
  });

  it('keeps the failure reason of a FAILED message', () => {
    expect(deriveStatus(t(0), [{ status: 'FAILED', at: t(3), reason: 'blocked' }])).toEqual({
      status: 'FAILED',
      failureReason: 'blocked',
      statusHistory: [
        { status: 'SENT', at: t(0) },
        { status: 'FAILED', at: t(3) },
      ],
    });
  });

  it('settles a READ/FAILED race on whichever happened first, READ on a tie', () => {
    const failedFirst = deriveStatus(t(0), [
      { status: 'DELIVERED', at: t(1) },
      { status: 'READ', at: t(4) },
      { status: 'FAILED', at: t(2), reason: 'x' },
    ]);
    expect(failedFirst.status).toBe('FAILED');
    expect(failedFirst.statusHistory.map((s) => s.status)).toEqual(['SENT', 'DELIVERED', 'FAILED']);

    const readFirst = deriveStatus(t(0), [
      { status: 'FAILED', at: t(6), reason: 'x' },
      { status: 'READ', at: t(4) },
    ]);
    expect(readFirst.status).toBe('READ');
    expect(readFirst.failureReason).toBeUndefined();

    expect(deriveStatus(t(0), [{ status: 'FAILED', at: t(4) }, { status: 'READ', at: t(4) }]).status).toBe('READ');
  });

  it('ignores a stored SENT row (SENT is the creation time)', () => {
    expect(deriveStatus(t(0), [{ status: 'SENT', at: t(7) }]).statusHistory).toEqual([{ status: 'SENT', at: t(0) }]);
  });
});
