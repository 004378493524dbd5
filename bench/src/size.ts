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

/**
 * A list of positive numbers from the environment (`name=100,250`) instead of the size's own, to look at a few
 * settings closely; the fallback when the variable is unset or empty.
 */
export function numbersFrom(source: NodeJS.ProcessEnv, name: string, fallback: number[]): number[] {
  const text = source[name];
  if (text === undefined || text.trim() === '') return fallback;
  const numbers = text.split(',').map((part) => Number(part.trim()));
  if (numbers.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`${name} must be positive numbers separated by commas, not "${text}"`);
  return numbers;
}
