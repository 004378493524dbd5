import * as hdr from 'hdr-histogram-js';

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** p50/p99/max of millisecond durations (negative clock skew between processes counts as 0). */
export function percentiles(valuesMs: number[]): Percentiles {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 });
  for (const value of valuesMs) histogram.recordValue(Math.max(1, Math.round(value)));
  return { count: valuesMs.length, p50: histogram.getValueAtPercentile(50), p99: histogram.getValueAtPercentile(99), max: histogram.maxValue };
}
