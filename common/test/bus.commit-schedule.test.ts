import { CommitSchedule, type PartitionOffset } from '../src/bus/commit-schedule';

const INTERVAL = 1_000;

/** A schedule on jest's clock, recording every commit request; `fail` makes the next one reject. */
function schedule() {
  const requests: PartitionOffset[][] = [];
  const timerErrors: unknown[] = [];
  let fail: Error | undefined;
  const commits = new CommitSchedule({
    intervalMs: INTERVAL,
    commit: async (offsets) => {
      requests.push(offsets);
      if (fail) {
        const error = fail;
        fail = undefined;
        throw error;
      }
    },
    onTimerError: (error) => timerErrors.push(error),
  });
  return { commits, requests, timerErrors, failNext: (error: Error) => (fail = error) };
}

/** Lets a timer's flush (a promise chain) run to its end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('CommitSchedule', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('holds the offsets of batches ending within the interval and commits them together when it ends', async () => {
    const { commits, requests } = schedule();
    commits.handled('t', 0, '1');
    await commits.batchEnded();
    commits.handled('t', 0, '2');
    commits.handled('t', 1, '7');
    await commits.batchEnded();
    commits.handled('u', 0, '3');
    await commits.batchEnded();
    expect(requests).toEqual([]);

    jest.advanceTimersByTime(INTERVAL - 1);
    await settle();
    expect(requests).toEqual([]);
    jest.advanceTimersByTime(1);
    await settle();
    // One request, the newest offset of each partition.
    expect(requests).toEqual([
      [
        { topic: 't', partition: 0, offset: '2' },
        { topic: 't', partition: 1, offset: '7' },
        { topic: 'u', partition: 0, offset: '3' },
      ],
    ]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('commits at the end of a batch at once when the last commit is an interval old', async () => {
    const { commits, requests } = schedule();
    jest.advanceTimersByTime(INTERVAL);
    commits.handled('t', 0, '5');
    await commits.batchEnded();
    expect(requests).toEqual([[{ topic: 't', partition: 0, offset: '5' }]]);
    // The next batch is within the interval of that commit again: it waits.
    commits.handled('t', 0, '6');
    await commits.batchEnded();
    expect(requests).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(1);
  });

  it('commits what a batch still under way has handled once the interval has passed', async () => {
    const { commits, requests } = schedule();
    commits.handled('t', 0, '1');
    jest.advanceTimersByTime(INTERVAL);
    await settle();
    // No batchEnded() yet: a long batch's handled records do not wait for its end.
    expect(requests).toEqual([[{ topic: 't', partition: 0, offset: '1' }]]);
    commits.handled('t', 0, '2');
    jest.advanceTimersByTime(INTERVAL - 1);
    await settle();
    expect(requests).toHaveLength(1);
    jest.advanceTimersByTime(1);
    await settle();
    expect(requests[1]).toEqual([{ topic: 't', partition: 0, offset: '2' }]);
  });

  it('flush commits at once (before a retry wait, at stop) and cancels the timer', async () => {
    const { commits, requests } = schedule();
    commits.handled('t', 0, '1');
    await commits.batchEnded();
    expect(jest.getTimerCount()).toBe(1);
    await commits.flush();
    expect(requests).toEqual([[{ topic: 't', partition: 0, offset: '1' }]]);
    expect(jest.getTimerCount()).toBe(0);
    await commits.flush(); // nothing handled since: no request
    expect(requests).toHaveLength(1);
  });

  it('does nothing at the end of a batch that handled nothing', async () => {
    const { commits, requests } = schedule();
    await commits.batchEnded();
    jest.advanceTimersByTime(INTERVAL * 3);
    await settle();
    expect(requests).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps the offsets of a failed flush for the next commit, unless a newer record of the partition was handled', async () => {
    const { commits, requests, failNext } = schedule();
    commits.handled('t', 0, '4');
    commits.handled('t', 1, '9');
    failNext(new Error('REBALANCE_IN_PROGRESS'));
    const failed = commits.flush();
    commits.handled('t', 1, '10'); // handled while the failing request was out
    await expect(failed).rejects.toThrow('REBALANCE_IN_PROGRESS');
    await commits.flush();
    expect(requests[1]).toEqual([
      { topic: 't', partition: 1, offset: '10' },
      { topic: 't', partition: 0, offset: '4' },
    ]);
  });

  it("reports a timer's failed commit and tries again an interval later", async () => {
    const { commits, requests, timerErrors, failNext } = schedule();
    commits.handled('t', 0, '1');
    await commits.batchEnded();
    failNext(new Error('coordinator moved'));
    jest.advanceTimersByTime(INTERVAL);
    await settle();
    expect(timerErrors).toEqual([new Error('coordinator moved')]);
    expect(requests).toHaveLength(1);
    jest.advanceTimersByTime(INTERVAL);
    await settle();
    expect(requests).toEqual([[{ topic: 't', partition: 0, offset: '1' }], [{ topic: 't', partition: 0, offset: '1' }]]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('arms no timer after stop(); flush still commits', async () => {
    const { commits, requests } = schedule();
    commits.stop();
    commits.handled('t', 0, '1');
    await commits.batchEnded();
    expect(jest.getTimerCount()).toBe(0);
    await commits.flush();
    expect(requests).toEqual([[{ topic: 't', partition: 0, offset: '1' }]]);
  });
});
