/** The pipeline benchmark's load processes: what they are asked, what they answer. */

export interface ArrivalSpec {
  graphqlUrl: string;
  token: string;
  /** sendMessage goes to these in turn (Kafka keys, so partitions, differ). */
  conversationIds: string[];
  /** Messages per second, whatever the answers do (an open model). */
  rate: number;
  durationSeconds: number;
  /** Requests outstanding at once beyond which new ones are dropped (counted as failed): bounds the generator's memory. */
  maxInFlight: number;
}

export interface ArrivalResult {
  scheduled: number;
  ok: number;
  failed: number;
  firstError?: string;
  /** Answered sends per second over the time from the first schedule to the last answer. */
  achievedRate: number;
  /** From each request's scheduled time (not its actual send), so a stalled generator cannot hide latency. */
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  messageIds: string[];
}

export interface RawEnginesSpec {
  kafka: {
    brokers: string[];
    /** One for single-record sends, one for batched sends. */
    topics: [string, string];
    count: number;
    batch: number;
    concurrency: number;
    valueBytes: number;
    keys: number;
  };
  cassandra: { contactPoints: string[]; localDataCenter: string; keyspace: string; count: number; concurrency: number; contentChars: number };
}

export interface RawEnginesResult {
  /** Records produced (acks all, idempotent) and consumed by a group, per second, end to end: one record per send. */
  kafkaSinglePerSecond: number;
  /** The same with `batch` records per send. */
  kafkaBatchedPerSecond: number;
  /** Prepared single-row inserts of a message row, per second. */
  cassandraPerSecond: number;
  seconds: { kafkaSingle: number; kafkaBatched: number; cassandra: number };
}
