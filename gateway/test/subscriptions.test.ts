import { decodeCursor, encodeCursor } from '../src/subscriptions/cursor';
import { FanOut, type LiveEvent } from '../src/subscriptions/fanout';
import { BoundedQueue } from '../src/subscriptions/queue';

const event = (conversationId: string, messageId = 'm1'): LiveEvent => ({
  kind: 'status',
  conversationId,
  messageId,
  status: 'DELIVERED',
  previousStatus: 'SENT',
  cursor: encodeCursor({ topic: 'messages.status', partition: 0, offset: '1' }),
});

describe('subscription cursor', () => {
  it('round-trips a Kafka position and refuses what is not one', () => {
    const position = { topic: 'messages.status', partition: 3, offset: '9007199254740993' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    expect(decodeCursor('not a cursor')).toBeNull();
    expect(decodeCursor(Buffer.from(JSON.stringify({ topic: 't', partition: 1.5, offset: '1' })).toString('base64url'))).toBeNull();
    expect(decodeCursor(Buffer.from(JSON.stringify({ topic: 't', partition: 1, offset: '-1' })).toString('base64url'))).toBeNull();
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

  it('return() ends a reader that is waiting', async () => {
    const queue = new BoundedQueue<number>(2, () => undefined);
    const waiting = queue.next();
    await queue.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
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
});
