/** A source of numbers in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: a tiny seeded generator, so a simulator run with `SIM_SEED` injects the same failures in the same order
 * (given the same request order). Not for anything secret.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` random bytes from `random`, for platform-looking message ids. */
export function randomBytes(random: Random, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/** Uniform in [min, max]. */
export function between(random: Random, min: number, max: number): number {
  return max <= min ? min : min + Math.floor(random() * (max - min + 1));
}
