import { CircuitOpenError } from './errors';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one probe call is let through. */
  cooldownMs: number;
  now?: () => number;
  onStateChange?: (state: CircuitState, previous: CircuitState) => void;
}

/** What a finished call tells the breaker: `failure` counts towards opening, `success` closes it. */
export type CallVerdict = 'success' | 'failure';

/**
 * One breaker per platform. Closed: calls pass; `failureThreshold` consecutive failures open it. Open: calls are
 * refused with `CircuitOpenError` until `cooldownMs` has passed, then it is half-open: exactly one probe call passes
 * (the others are refused as if open); the probe's success closes the circuit, its failure opens it for another
 * cool-down. Refused calls are never failures of the message: the caller makes the message wait.
 */
export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private readonly now: () => number;

  constructor(
    readonly platform: string,
    private readonly options: CircuitBreakerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The state now (an open circuit whose cool-down has passed reads as half-open). */
  get state(): CircuitState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.cooldownMs) this.transition('half-open');
    return this.current;
  }

  /**
   * Runs `call` if the circuit lets it through; `verdict` classifies its error (a resolved call is a success).
   * Throws `CircuitOpenError` without calling when the circuit is open or a probe is already under way.
   */
  async run<T>(call: () => Promise<T>, verdict: (error: unknown) => CallVerdict): Promise<T> {
    const state = this.state;
    if (state === 'open' || (state === 'half-open' && this.probing)) {
      const remaining = state === 'open' ? this.options.cooldownMs - (this.now() - this.openedAt) : this.options.cooldownMs;
      throw new CircuitOpenError(this.platform, Math.max(remaining, 0));
    }
    const isProbe = state === 'half-open';
    if (isProbe) this.probing = true;
    try {
      const result = await call();
      this.record('success');
      return result;
    } catch (error) {
      this.record(verdict(error));
      throw error;
    } finally {
      if (isProbe) this.probing = false;
    }
  }

  private record(verdict: CallVerdict): void {
    if (verdict === 'success') {
      this.failures = 0;
      if (this.current !== 'closed') this.transition('closed');
      return;
    }
    this.failures += 1;
    // A failed probe re-opens at once; calls that started before the circuit opened only restart the cool-down.
    if (this.current === 'half-open' || this.current === 'open' || this.failures >= this.options.failureThreshold) {
      this.openedAt = this.now();
      if (this.current !== 'open') this.transition('open');
    }
  }

  private transition(next: CircuitState): void {
    const previous = this.current;
    this.current = next;
    this.options.onStateChange?.(next, previous);
  }
}
