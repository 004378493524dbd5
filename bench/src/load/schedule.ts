import * as hdr from 'hdr-histogram-js';

/**
 * The constant-arrival schedule of an open-model load: request i is due at start + i/rate and is started then,
 * however many earlier ones are still waiting, so a server that falls behind shows it as growing latency (measured
 * from each due time), never as a lower request rate. At most `maxInFlight` are outstanding, so the generator's memory
 * stays bounded; what a request due beyond that does is `whenFull`'s choice.
 */
export interface ArrivalSchedule {
  rate: number;
  total: number;
  maxInFlight: number;
  /**
   * A request due while `maxInFlight` are outstanding: `drop` (the default) counts it as dropped and never sends it,
   * so a load that outruns the server reports it; `wait` sends it as soon as one settles (late, but its `due` is still
   * its place in the schedule), for a load that must send every request, as the subscription benchmark's events.
   */
  whenFull?: 'drop' | 'wait';
}

/** How often the schedule looks at the clock: requests due meanwhile start together, at most this late. */
const TICK_MS = 2;

/**
 * Runs `send(i, due)` for every request at its due time (performance.now() based); resolves once all have settled,
 * with the schedule's start and how many were dropped. A `send` that rejects rejects the run, once every other
 * request has settled (with the first such error).
 */
export async function runArrivals(schedule: ArrivalSchedule, send: (index: number, due: number) => Promise<void>): Promise<{ start: number; dropped: number }> {
  const { rate, total, maxInFlight, whenFull = 'drop' } = schedule;
  const start = performance.now();
  let inFlight = 0;
  let dropped = 0;
  let next = 0;
  let failure: { error: unknown } | undefined;
  // Woken as one settles; this loop is its only waiter.
  let wake: (() => void) | undefined;
  const settled = () => {
    inFlight--;
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  const oneSettles = () => new Promise<void>((resolve) => (wake = resolve));
  while (next < total) {
    const now = performance.now();
    while (next < total && start + (next * 1000) / rate <= now) {
      if (inFlight >= maxInFlight) {
        if (whenFull === 'wait') {
          await oneSettles();
          continue;
        }
        dropped++;
      } else {
        inFlight++;
        send(next, start + (next * 1000) / rate).then(settled, (error: unknown) => {
          failure ??= { error };
          settled();
        });
      }
      next++;
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  while (inFlight > 0) await oneSettles();
  if (failure) throw failure.error;
  return { start, dropped };
}

/** Latencies counted from due times, in ms (1 ms to 2 minutes, 3 significant digits). */
export function dueLatencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000, numberOfSignificantValueDigits: 3 });
}
