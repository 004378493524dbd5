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
  /** Socket errors and timeouts. */
  errors: number;
  non2xx: number;
  /** 2xx answers that carried GraphQL errors or lacked the expected data. */
  badAnswers: number;
  /** The first bad answer's body (cut), to say what went wrong. */
  firstBadAnswer?: string;
}
