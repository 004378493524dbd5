import { PublishCoalescer, type Batch } from '../src/bus/coalesce';

/** A send that the test finishes by hand, recording what each request carried. */
function manualSend() {
  const requests: Batch<string>[][] = [];
  const finishers: { resolve(): void; reject(error: unknown): void }[] = [];
  const send = (batches: Batch<string>[]) =>
    new Promise<void>((resolve, reject) => {
      requests.push(batches.map((b) => ({ topic: b.topic, records: [...b.records] })));
      finishers.push({ resolve, reject });
    });
  const settle = async (outcome: 'ok' | Error = 'ok') => {
    const next = finishers.shift()!;
    if (outcome === 'ok') next.resolve();
    else next.reject(outcome);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { requests, send, settle };
}

/** A call's outcome, observed from the start (a rejection before the assertion is not an unhandled one). */
function outcome(call: Promise<void>): Promise<string> {
  return call.then(
    () => 'ok',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
}

describe('PublishCoalescer', () => {
  it('sends an idle call at once, alone', async () => {
    const { requests, send, settle } = manualSend();
    const coalescer = new PublishCoalescer<string>({ send, maxRecords: 100 });
    const done = coalescer.publish('t', ['r1']);
    expect(requests).toEqual([[{ topic: 't', records: ['r1'] }]]);
    await settle();
    await expect(done).resolves.toBeUndefined();
  });

  it('groups the calls that arrive during a send into the next one, in call order per topic', async () => {
    const { requests, send, settle } = manualSend();
    const coalescer = new PublishCoalescer<string>({ send, maxRecords: 100 });
    const resolved: string[] = [];
    const call = (topic: string, records: string[]) => coalescer.publish(topic, records).then(() => void resolved.push(records.join()));
    const first = call('t', ['a1']);
    const rest = [call('t', ['a2']), call('u', ['b1']), call('t', ['a3', 'a4']), call('u', ['b2'])];
    expect(requests).toHaveLength(1);
    await settle();
    await first;
    // Nothing of the waiting calls resolves before the request that carries them does.
    expect(resolved).toEqual(['a1']);
    expect(requests[1]).toEqual([
      { topic: 't', records: ['a2', 'a3', 'a4'] },
      { topic: 'u', records: ['b1', 'b2'] },
    ]);
    await settle();
    await Promise.all(rest);
    expect(resolved).toEqual(['a1', 'a2', 'b1', 'a3,a4', 'b2']);
    expect(requests).toHaveLength(2);
  });

  it('puts at most maxRecords in one send (a larger call goes alone)', async () => {
    const { requests, send, settle } = manualSend();
    const coalescer = new PublishCoalescer<string>({ send, maxRecords: 3 });
    const calls = [coalescer.publish('t', ['x']), coalescer.publish('t', ['1', '2']), coalescer.publish('t', ['3', '4']), coalescer.publish('t', ['5', '6', '7', '8'])];
    for (let i = 0; i < 4; i++) await settle();
    await Promise.all(calls);
    expect(requests.map((r) => r[0]!.records)).toEqual([['x'], ['1', '2'], ['3', '4'], ['5', '6', '7', '8']]);
  });

  it('fails every call a failed send carried, unless told to try each alone', async () => {
    const { send, settle } = manualSend();
    const coalescer = new PublishCoalescer<string>({ send, maxRecords: 100 });
    const first = coalescer.publish('t', ['a']);
    const waiting = [outcome(coalescer.publish('t', ['b'])), outcome(coalescer.publish('u', ['c']))];
    await settle();
    await first;
    await settle(new Error('broker down'));
    expect(await Promise.all(waiting)).toEqual(['broker down', 'broker down']);
  });

  it('tries each call alone after a grouped send failed for a reason it names, so one bad call fails only itself', async () => {
    const { requests, send, settle } = manualSend();
    const coalescer = new PublishCoalescer<string>({ send, maxRecords: 100, retryAlone: (e) => e instanceof Error && e.message === 'unknown topic' });
    const first = coalescer.publish('t', ['a']);
    const good = outcome(coalescer.publish('t', ['b']));
    const bad = outcome(coalescer.publish('gone', ['c']));
    await settle();
    await first;
    await settle(new Error('unknown topic')); // the grouped send
    await settle(); // b alone
    await settle(new Error('unknown topic')); // c alone
    expect([await good, await bad]).toEqual(['ok', 'unknown topic']);
    expect(requests.slice(2)).toEqual([[{ topic: 't', records: ['b'] }], [{ topic: 'gone', records: ['c'] }]]);
  });
});
