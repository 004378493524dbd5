/**
 * A fix for kafkajs 2.2.4's request queue, applied to the module in place (kafkajs is unmaintained: the fix is in open
 * pull requests, tulios/kafkajs#1667 and #1768, never released).
 *
 * `RequestQueue.scheduleCheckPendingRequests` arms a timer even when no request waits: with no client-side throttle
 * its delay is negative (Node runs it after 1 ms), and the check it runs arms the next one. So every broker connection
 * of every client wakes its process about 1,000 times a second for nothing, from its first response on, for as long as
 * it is open (tulios/kafkajs#1556, #1704). Here a timer is armed only when a request waits: at the end of the
 * client-side throttle, or after 10 ms when it waits for an in-flight slot (a response also checks then). A request
 * that cannot go at once is always queued through `push`, which schedules the check, so nothing waits unchecked.
 */

/** The parts of kafkajs's RequestQueue (src/network/requestQueue/index.js) the fix reads and writes. */
interface RequestQueueState {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
}

/** kafkajs's own interval for a request waiting on an in-flight slot. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;
const FIXED = Symbol.for('chat4all.kafkajs.requestQueueFixed');

function scheduleCheckPendingRequests(this: RequestQueueState): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
  );
}

/** Installs the fix once per process (every kafkajs client shares the module). Returns the patched class, for tests. */
export function fixKafkajsRequestQueue(): unknown {
  // kafkajs has no `exports` map, so its internal module can be reached; it is CommonJS.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: Record<string | symbol, unknown> };
  const proto = RequestQueue.prototype;
  if (proto[FIXED] === true) return RequestQueue;
  if (typeof proto.scheduleCheckPendingRequests !== 'function') {
    throw new Error('kafkajs RequestQueue has no scheduleCheckPendingRequests: the kafkajs version changed; review kafkajs-request-queue.ts');
  }
  proto.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  proto[FIXED] = true;
  return RequestQueue;
}
