/**
 * How a worker retries a record whose handler failed: a bounded number of attempts (or unbounded), with exponential
 * back-off and jitter between them.
 */
export interface AttemptPolicy {
  /** Attempts at one record before giving up on it; `Infinity` retries until it succeeds. */
  maxAttempts: number;
  /** Back-off after the first failure; doubles after each further one. */
  initialDelayMs: number;
  /** Ceiling of the back-off. Keep it well below the Kafka session timeout: no heartbeat is sent while waiting. */
  maxDelayMs: number;
}

export const DEFAULT_ATTEMPT_POLICY: AttemptPolicy = { maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 10_000 };

/**
 * The wait after `failures` failed attempts (1 = the first): `initialDelayMs * 2^(failures-1)`, capped at
 * `maxDelayMs`, then "equal jitter": half of it fixed, half random. The fixed half keeps the back-off growing; the
 * random half spreads consumers that failed at the same moment (e.g. when a platform came back) apart.
 */
export function backoffDelayMs(failures: number, policy: Pick<AttemptPolicy, 'initialDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const exponent = Math.max(0, failures - 1);
  // 2 ** 1024 is Infinity, which Math.min caps; no overflow to worry about.
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Throws when a policy cannot work (a bug in the caller's configuration, reported at start). */
export function checkAttemptPolicy(policy: AttemptPolicy): AttemptPolicy {
  if (!(policy.maxAttempts >= 1)) throw new RangeError(`maxAttempts must be at least 1 (got ${policy.maxAttempts})`);
  if (!Number.isInteger(policy.maxAttempts) && policy.maxAttempts !== Infinity) throw new RangeError(`maxAttempts must be an integer or Infinity (got ${policy.maxAttempts})`);
  if (!(policy.initialDelayMs >= 0)) throw new RangeError(`initialDelayMs must be >= 0 (got ${policy.initialDelayMs})`);
  if (!(policy.maxDelayMs >= policy.initialDelayMs)) throw new RangeError(`maxDelayMs (${policy.maxDelayMs}) must be >= initialDelayMs (${policy.initialDelayMs})`);
  return policy;
}

/**
 * Thrown by a handler that cannot do its work yet through no fault of the record (e.g. its platform's circuit breaker
 * is open): the record waits and is tried again later, without using up an attempt and without ever giving up.
 * `retryAfterMs` (capped by the policy's `maxDelayMs`) says how long to wait; the policy's back-off applies otherwise.
 */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}
