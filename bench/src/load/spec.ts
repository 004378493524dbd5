/** What the parent asks a load process to do, and what it answers: plain JSON across the process boundary. */

/** How each request proves who sends it. */
export type LoadAuth =
  | { kind: 'none' }
  /** A client token, as an application sends it to our gateway. */
  | { kind: 'bearer'; token: string }
  /**
   * The signed identity headers our gateway would forward, signed here (re-signed every few seconds: they expire), for
   * gateways that only pass headers through and for a subgraph asked directly.
   */
  | { kind: 'identity'; userId: string; username: string; key: string };

export interface HttpLoadSpec {
  url: string;
  /** Request bodies, sent in turn, so consecutive requests differ. */
  bodies: string[];
  auth: LoadAuth;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** A 200 answer whose body lacks this text, or has `"errors"`, counts as a bad answer. */
  expectInBody: string;
}

/**
 * An open-model load (arrival-load.ts): `rate` requests per second on a constant-arrival schedule, whatever the
 * answers do, over at most `connections` keep-alive connections (requests due while all are busy wait in the pool's
 * queue, up to 64 per connection; one due beyond that is counted as an error, not sent). Latency counts from each
 * request's due time.
 */
export interface ArrivalLoadSpec extends HttpLoadSpec {
  rate: number;
}

export interface LatencyMs {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface HttpLoadResult {
  requests: number;
  durationSeconds: number;
  rps: number;
  latencyMs: LatencyMs;
  /** Requests that got no answer: socket errors, timeouts and (open model) requests dropped unsent; by kind in `errorKinds`. */
  errors: number;
  /** `errors` by kind: an error code (`ECONNRESET`), `timeout`, or `dropped` (due while the pool's queue was full). */
  errorKinds: Record<string, number>;
  non2xx: number;
  /** 2xx answers that carried GraphQL errors or lacked the expected data. */
  badAnswers: number;
  /** The first bad answer's body (cut), to say what went wrong. */
  firstBadAnswer?: string;
  /**
   * Open-model runs only: how late the generator itself started requests after their due time (its own process
   * starved of CPU, or its timer late). Latency counts from the due time, so this part of it is the generator's.
   */
  generatorLagMs?: { p50: number; p99: number; max: number };
}
