import * as hdr from 'hdr-histogram-js';

/**
 * The constant-arrival schedule of an open-model load: request i is due at start + i/rate and is started then,
 * however many earlier ones are still waiting, so a server that falls behind shows it as growing latency (measured
 * from each due time), never as a lower request rate. Beyond `maxInFlight` outstanding requests a due one is not
 * sent but counted as dropped (the generator's memory stays bounded).
 */
export interface ArrivalSchedule {
  rate: number;
  total: number;
  maxInFlight: number;
}

/** How often the schedule looks at the clock: requests due meanwhile start together, at most this late. */
const TICK_MS = 2;

/** Runs `send(i, due)` for every request at its due time (performance.now() based); resolves once all have settled. */
export async function runArrivals(schedule: ArrivalSchedule, send: (index: number, due: number) => Promise<void>): Promise<{ start: number; dropped: number }> {
  const { rate, total, maxInFlight } = schedule;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  let inFlight = 0;
  let dropped = 0;
  let next = 0;
  while (next < total) {
    const now = performance.now();
    while (next < total && start + (next * 1000) / rate <= now) {
      const due = start + (next * 1000) / rate;
      if (inFlight >= maxInFlight) {
        dropped++;
      } else {
        inFlight++;
        pending.push(send(next, due).finally(() => inFlight--));
      }
      next++;
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(pending);
  return { start, dropped };
}

/** Latencies counted from due times, in ms (1 ms to 2 minutes, 3 significant digits). */
export function dueLatencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000, numberOfSignificantValueDigits: 3 });
}
