import { fixKafkajsRequestQueue } from '../src/bus/kafkajs-request-queue';

/** kafkajs's RequestQueue as far as these tests drive it (src/network/requestQueue/index.js). */
interface Queue {
  push(request: { entry: Record<string, unknown>; expectResponse: boolean; sendRequest(): void }): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  checkPendingRequests(): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
  throttleCheckTimeoutId: unknown;
  pending: unknown[];
}
type QueueClass = new (options: Record<string, unknown>) => Queue;

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function newQueue(maxInFlightRequests: number | null): Queue {
  const RequestQueue = fixKafkajsRequestQueue() as QueueClass;
  return new RequestQueue({ maxInFlightRequests, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'test', broker: 'b:9092', logger: quiet });
}

function request(correlationId: number, sent: number[]) {
  const entry = { correlationId, apiKey: 1, apiName: 'Fetch', apiVersion: 11, resolve: () => undefined, reject: () => undefined };
  return { entry, expectResponse: true, sendRequest: () => sent.push(correlationId) };
}

const answer = (correlationId: number) => ({ correlationId, payload: Buffer.alloc(0), size: 0 });

describe('kafkajs RequestQueue, fixed', () => {
  const queues: Queue[] = [];
  const track = (q: Queue) => (queues.push(q), q);
  afterEach(() => {
    for (const q of queues.splice(0)) q.destroy();
  });

  it('arms no timer when no request waits (kafkajs 2.2.4 re-armed a 1 ms one after every check, forever)', () => {
    const queue = track(newQueue(1));
    const sent: number[] = [];
    queue.push(request(1, sent));
    queue.fulfillRequest(answer(1)); // a response checks the queue, which is empty
    expect(sent).toEqual([1]);
    expect(queue.throttleCheckTimeoutId).toBeFalsy();
    queue.checkPendingRequests();
    expect(queue.throttleCheckTimeoutId).toBeFalsy();
  });

  it('still sends a request waiting for an in-flight slot once the slot frees, then stops checking', async () => {
    const queue = track(newQueue(1));
    const sent: number[] = [];
    queue.push(request(1, sent));
    queue.push(request(2, sent)); // one in flight at most: this one waits
    expect(sent).toEqual([1]);
    expect(queue.pending).toHaveLength(1);
    queue.fulfillRequest(answer(1));
    expect(sent).toEqual([1, 2]);
    queue.fulfillRequest(answer(2));
    // The check armed while request 2 waited (10 ms) runs once, finds nothing waiting and arms no other.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(queue.throttleCheckTimeoutId).toBeFalsy();
  });

  it('still sends a request held back by a client-side throttle when the throttle ends', async () => {
    const queue = track(newQueue(null));
    const sent: number[] = [];
    queue.maybeThrottle(60);
    queue.push(request(1, sent));
    expect(sent).toEqual([]);
    expect(queue.throttleCheckTimeoutId).toBeTruthy();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(sent).toEqual([1]);
    queue.fulfillRequest(answer(1));
    expect(queue.throttleCheckTimeoutId).toBeFalsy();
  });

  it('is installed once, on the module every kafkajs client uses', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const used = require('kafkajs/src/network/requestQueue') as QueueClass;
    expect(fixKafkajsRequestQueue()).toBe(used);
    const before = used.prototype as unknown as Record<string, unknown>;
    const method = before.scheduleCheckPendingRequests;
    fixKafkajsRequestQueue();
    expect(before.scheduleCheckPendingRequests).toBe(method);
  });
});
