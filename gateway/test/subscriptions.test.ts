import { decodeCursor, encodeCursor, furthest } from '../src/subscriptions/cursor';
import { FanOut, type LiveEvent } from '../src/subscriptions/fanout';
import { BoundedQueue } from '../src/subscriptions/queue';
import { SubscriberStream } from '../src/subscriptions/stream';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

const event = (conversationId: string, messageId = 'm1'): LiveEvent => ({
  kind: 'status',
  conversationId,
  messageId,
  status: 'DELIVERED',
  previousStatus: 'SENT',
  partition: 0,
  offset: 1n,
  position: [1n],
  cursor: encodeCursor([1n]),
});

describe('subscription cursor', () => {
  it('round-trips a position vector (64-bit offsets, -1 for nothing yet) and refuses what is not one', () => {
    const position = [3n, -1n, 9007199254740993n, 0n];
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    expect(Buffer.from(encodeCursor(position), 'base64url').toString()).toBe('p1:3.-1.9007199254740993.0');
    for (const garbled of ['', 'not a cursor', 'cDE6', b64('p2:1.2'), b64('p1:'), b64('p1:1..2'), b64('p1:-2'), b64('p1:01'), b64('p1:1.x'), b64('p1:1:2'), b64('p1:99999999999999999999')]) {
      expect({ garbled, decoded: decodeCursor(garbled) }).toEqual({ garbled, decoded: null });
    }
    // Only the canonical spelling: base64url decoding alone would forgive stray characters.
    expect(decodeCursor(`${encodeCursor(position)}!`)).toBeNull();
    expect(decodeCursor(b64(`p1:${Array.from({ length: 1025 }, () => '0').join('.')}`))).toBeNull();
  });

  it('furthest() takes the later entry of each partition and keeps the first vector when nothing moved', () => {
    expect(furthest([1n, 5n, -1n], [2n, 3n])).toEqual([2n, 5n, -1n]);
    const a = [4n, 4n];
    expect(furthest(a, [4n, -1n])).toBe(a);
    expect(furthest(a, a)).toBe(a);
    expect(furthest(a, [4n])).toBe(a);
    expect(furthest(a, [4n, 5n])).toEqual([4n, 5n]);
    expect(a).toEqual([4n, 4n]); // never changed in place
    expect(furthest([7n], [1n, 2n])).toEqual([7n, 2n]); // a shorter first vector grows
    expect(furthest([7n], [1n, -1n])).toEqual([7n, -1n]);
  });
});

describe('BoundedQueue', () => {
  it('hands items out in order, to a waiting reader too', async () => {
    const queue = new BoundedQueue<number>(3, () => undefined);
    const waiting = queue.next();
    queue.push(1);
    queue.push(2);
    queue.push(3);
    expect(await waiting).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
    expect(await queue.next()).toEqual({ value: 3, done: false });
  });

  it('never holds more than its capacity: the push beyond it ends the queue and reports the overflow once', async () => {
    const overflow = jest.fn();
    const ended = jest.fn();
    const queue = new BoundedQueue<number>(2, overflow, ended);
    queue.push(1);
    queue.push(2);
    expect(queue.size).toBe(2);
    queue.push(3);
    queue.push(4);
    expect(overflow).toHaveBeenCalledTimes(1);
    expect(ended).toHaveBeenCalledTimes(1);
    expect(queue.size).toBe(0);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('tells how many waiting items left it, taken or dropped at its end; an item handed straight to a reader never waited', async () => {
    const left: number[] = [];
    const queue = new BoundedQueue<number>(5, () => undefined, () => undefined, (count) => left.push(count));
    const reading = queue.next();
    queue.push(1); // straight to the reader
    expect(await reading).toEqual({ value: 1, done: false });
    queue.push(2);
    queue.push(3);
    queue.push(4);
    await queue.next();
    queue.end();
    expect(left).toEqual([1, 2]);
  });

  it('hold() keeps pushed items from a waiting reader until release(), which hands it the first; idle says when a push would reach the reader', async () => {
    const left: number[] = [];
    const queue = new BoundedQueue<number>(5, () => undefined, () => undefined, (count) => left.push(count));
    expect(queue.idle).toBe(false); // nobody reads yet
    let got: IteratorResult<number> | undefined;
    void queue.next().then((item) => (got = item));
    expect(queue.idle).toBe(true);
    queue.hold();
    expect(queue.idle).toBe(false);
    queue.push(1);
    queue.push(2);
    await Promise.resolve();
    expect(got).toBeUndefined();
    expect(queue.size).toBe(2);
    queue.release();
    await Promise.resolve();
    expect(got).toEqual({ value: 1, done: false });
    expect(left).toEqual([1]); // it waited, so it is counted leaving
    expect(await queue.next()).toEqual({ value: 2, done: false });
    queue.release(); // not held: nothing happens
    expect(queue.idle).toBe(false);
  });

  it('return() ends a reader that is waiting', async () => {
    const queue = new BoundedQueue<number>(2, () => undefined);
    const waiting = queue.next();
    await queue.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
  });
});

/** A feed event at `offset` of partition 0 (streams drop what they have passed, so each needs its own). */
const fed = (offset: number): LiveEvent => ({ ...event('c', `m${offset}`), offset: BigInt(offset), position: [BigInt(offset)], cursor: encodeCursor([BigInt(offset)]) });
const notTooSlow = () => {
  throw new Error('no queue here may overflow');
};

describe('FanOut pacing', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('hands out no further event while the queues hold `ahead` feed events per listener on average, and goes on once one is taken', async () => {
    const waits: number[] = [];
    const fanOut = new FanOut({ ahead: 2, maxPauseMs: 60_000, waited: (ms) => waits.push(ms) });
    const streams = [0, 1].map(() => new SubscriberStream(100, { live: [-1n] }, notTooSlow, () => undefined, fanOut.backlog));
    for (const stream of streams) fanOut.listen('c', (e) => stream.live(e));
    await fanOut.publish(fed(0));
    await fanOut.publish(fed(1));
    expect(fanOut.waitingEvents).toBe(4); // nobody has read: 2 listeners × 2 events
    let third = false;
    const publishing = fanOut.publish(fed(2)).then(() => (third = true));
    await sleep(30);
    expect(third).toBe(false); // the feed's reader waits with it: the event stays in Kafka
    expect(streams.map((s) => s.queue.size)).toEqual([2, 2]);
    expect(waits).toEqual([]);
    expect((await streams[1]!.queue.next()).value?.messageId).toBe('m0');
    await publishing;
    expect(streams.map((s) => s.queue.size)).toEqual([3, 2]);
    expect(fanOut.waitingEvents).toBe(5);
    expect(waits).toHaveLength(1);
  });

  it('waits at most maxPauseMs per event for queues that do not move (a subscription stuck on something else)', async () => {
    const waits: number[] = [];
    const fanOut = new FanOut({ ahead: 1, maxPauseMs: 40, waited: (ms) => waits.push(ms) });
    const stuck = new SubscriberStream(100, { live: [-1n] }, notTooSlow, () => undefined, fanOut.backlog);
    fanOut.listen('c', (e) => stuck.live(e));
    await fanOut.publish(fed(0));
    const started = performance.now();
    await fanOut.publish(fed(1));
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(stuck.queue.size).toBe(2);
    expect(waits).toHaveLength(1);
  });

  it('counts only feed events waiting: not replayed ones, not one handed straight to a reader, and none of an ended queue', async () => {
    const fanOut = new FanOut({ ahead: 10, maxPauseMs: 60_000 });
    const resumed = new SubscriberStream(100, { resumeAfter: [-1n] }, notTooSlow, () => undefined, fanOut.backlog);
    for (const n of [0, 1, 2]) await resumed.replayed(fed(n));
    resumed.live(fed(3)); // held while the replay runs
    expect(resumed.queue.size).toBe(3);
    expect(fanOut.waitingEvents).toBe(0);
    resumed.goLive([3n]); // the replay read offsets 0..2: the held event follows them
    expect(resumed.queue.size).toBe(4);
    expect(fanOut.waitingEvents).toBe(1);
    for (const n of [0, 1, 2]) expect((await resumed.queue.next()).value?.messageId).toBe(`m${n}`);
    expect(fanOut.waitingEvents).toBe(1); // the replayed ones left first
    expect((await resumed.queue.next()).value?.messageId).toBe('m3');
    expect(fanOut.waitingEvents).toBe(0);
    const reading = resumed.queue.next();
    resumed.live(fed(4)); // straight to the waiting reader
    expect((await reading).value?.messageId).toBe('m4');
    expect(fanOut.waitingEvents).toBe(0);
    resumed.live(fed(5));
    resumed.live(fed(6));
    expect(fanOut.waitingEvents).toBe(2);
    resumed.queue.end();
    expect(fanOut.waitingEvents).toBe(0);
  });
});

describe('FanOut', () => {
  it('delivers a conversation event to its listeners and to the listeners of everything, and stops on unlisten', () => {
    const fanOut = new FanOut();
    const a: LiveEvent[] = [];
    const b: LiveEvent[] = [];
    const all: LiveEvent[] = [];
    const stopA = fanOut.listen('c1', (e) => a.push(e));
    fanOut.listen('c2', (e) => b.push(e));
    fanOut.listen(null, (e) => all.push(e));
    fanOut.publish(event('c1'));
    fanOut.publish(event('c2'));
    expect(a.map((e) => e.conversationId)).toEqual(['c1']);
    expect(b.map((e) => e.conversationId)).toEqual(['c2']);
    expect(all.map((e) => e.conversationId)).toEqual(['c1', 'c2']);
    stopA();
    fanOut.publish(event('c1'));
    expect(a).toHaveLength(1);
    expect(fanOut.listenerCount).toBe(2);
  });

  it('starts one resolution per selection key before any listener has the event, and gives the event loop a turn between', async () => {
    const fanOut = new FanOut();
    const log: string[] = [];
    const prefetcher = (name: string, key: string, may = true) => ({
      key,
      start: (e: LiveEvent) => {
        log.push(`start ${name} ${e.messageId}`);
        if (may) setImmediate(() => log.push(`request of ${name} on the wire`));
        return may;
      },
    });
    fanOut.listen('c1', (e) => log.push(`a has ${e.messageId}`), prefetcher('a', 'k1'));
    fanOut.listen('c1', (e) => log.push(`b has ${e.messageId}`), prefetcher('b', 'k1'));
    fanOut.listen('c1', (e) => log.push(`c has ${e.messageId}`), prefetcher('c', 'k2', false)); // not a member by the cache
    fanOut.listen('c1', (e) => log.push(`d has ${e.messageId}`), prefetcher('d', 'k2'));
    await fanOut.publish(event('c1', 'm1'));
    expect(log).toEqual([
      'start a m1', // b shares a's key: not started again
      'start c m1', // c may not: the next of its key is asked
      'start d m1',
      'request of a on the wire',
      'request of d on the wire',
      'a has m1',
      'b has m1',
      'c has m1',
      'd has m1',
    ]);
  });

  it('delivers events in publish order, whether or not a resolution was started for them, and goes on after a failing listener', async () => {
    const fanOut = new FanOut();
    const got: string[] = [];
    let failOn = 'none';
    const stop = fanOut.listen('c1', (e) => {
      if (e.messageId === failOn) throw new Error('listener broke');
      got.push(e.messageId);
    }, { key: 'k', start: (e) => e.messageId !== 'm2' }); // m2: nobody may prefetch, so it needs no turn of its own
    fanOut.listen('c2', (e) => got.push(e.messageId));
    const published = [fanOut.publish(event('c1', 'm1')), fanOut.publish(event('c1', 'm2')), fanOut.publish(event('c2', 'm3'))];
    expect(got).toEqual([]); // m1 waits for its turn, and the others behind it
    await Promise.all(published);
    expect(got).toEqual(['m1', 'm2', 'm3']);
    failOn = 'm4';
    const failing = fanOut.publish(event('c1', 'm4'));
    const after = fanOut.publish(event('c1', 'm5'));
    await expect(failing).rejects.toThrow('listener broke');
    await after;
    expect(got).toEqual(['m1', 'm2', 'm3', 'm5']);
    stop();
    const starts: string[] = [];
    fanOut.listen('c1', () => undefined, { key: 'k', start: (e) => (starts.push(e.messageId), false) });
    await fanOut.publish(event('c1', 'm6'));
    expect(starts).toEqual(['m6']); // the stopped listener's prefetcher is gone with it
    expect(fanOut.listenerCount).toBe(2);
  });
});

describe('SubscriberStream, direct', () => {
  it('hands a live event straight on while its reader waits with nothing queued; the events after it wait, counted, until done, then go in order', async () => {
    const fanOut = new FanOut();
    const stream = new SubscriberStream(100, { live: [-1n] }, notTooSlow, () => undefined, fanOut.backlog);
    const direct: string[] = [];
    let finish: (() => void) | undefined;
    stream.direct = (e, done) => {
      direct.push(e.messageId);
      finish = done;
      return true;
    };
    const read: string[] = [];
    const reading = (async () => {
      for (let item = await stream.queue.next(); !item.done; item = await stream.queue.next()) read.push(item.value.messageId);
    })();
    await Promise.resolve();
    stream.live(fed(1));
    stream.live(fed(2));
    stream.live(fed(3));
    expect(direct).toEqual(['m1']);
    expect(fanOut.waitingEvents).toBe(2);
    await Promise.resolve();
    expect(read).toEqual([]); // m1 is not written yet: m2 may not overtake it
    finish?.();
    finish?.(); // a second call changes nothing
    await new Promise((resolve) => setImmediate(resolve));
    expect(read).toEqual(['m2', 'm3']);
    expect(fanOut.waitingEvents).toBe(0);
    // The reader waits with nothing queued again: the next event goes straight on; one the sink declines queues.
    stream.live(fed(4));
    expect(direct).toEqual(['m1', 'm4']);
    finish?.();
    stream.direct = () => false;
    stream.live(fed(5));
    await new Promise((resolve) => setImmediate(resolve));
    expect(read).toEqual(['m2', 'm3', 'm5']);
    expect(stream.position).toEqual([5n]);
    stream.queue.end();
    await reading;
  });

  it('sends no replayed event straight on, nor a live one held while the replay runs; once live, the held ones may go', async () => {
    const stream = new SubscriberStream(100, { resumeAfter: [0n] }, notTooSlow, () => undefined);
    const direct = jest.fn((_e: LiveEvent, done: () => void) => (done(), true));
    stream.direct = direct;
    const next = stream.queue.next();
    stream.live(fed(3)); // held: the replay runs
    await stream.replayed(fed(1)); // to the waiting reader through the queue
    expect(await next).toMatchObject({ value: { messageId: 'm1' } });
    expect(direct).not.toHaveBeenCalled();
    const reading = stream.queue.next();
    stream.goLive([2n]);
    expect(direct.mock.calls.map(([e]) => e.messageId)).toEqual(['m3']);
    stream.queue.end();
    expect(await reading).toEqual({ value: undefined, done: true });
  });
});
