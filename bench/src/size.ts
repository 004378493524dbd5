/**
 * How big a run is. `smoke` proves each benchmark works in seconds (CI runs it; its numbers mean nothing); `full` is
 * the measurement, sized for one 2-core machine that runs every engine too.
 */
export type BenchSize = 'smoke' | 'full';

export function benchSize(source: NodeJS.ProcessEnv = process.env): BenchSize {
  const value = source.BENCH_SIZE ?? 'full';
  if (value !== 'smoke' && value !== 'full') throw new Error(`BENCH_SIZE must be smoke or full, not "${value}"`);
  return value;
}

/** Picks the setting for this size. */
export function sized<T>(size: BenchSize, choices: Record<BenchSize, T>): T {
  return choices[size];
}
