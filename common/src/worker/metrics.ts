import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The metrics of every event consumer in a process, labelled by consumer group and (contract) topic. One set per
 * registry: a process running two consumers (the router) shares it.
 */
export class WorkerMetrics {
  /** Records whose handler succeeded (committed afterwards). */
  readonly processed: Counter<'group' | 'topic'>;
  /** Failed handler attempts (each retry that fails counts again). */
  readonly failed: Counter<'group' | 'topic'>;
  /** Attempts that asked to wait (`RetryLaterError`), e.g. while a circuit breaker is open. */
  readonly waited: Counter<'group' | 'topic'>;
  /** Records set aside on the group's dead-letter topic; kind is `poison` (undecodable) or `gave_up` (attempts used up). */
  readonly deadLettered: Counter<'group' | 'topic' | 'kind'>;
  /** Time of each handler attempt, by outcome (`success`, `failure`, `wait`). */
  readonly duration: Histogram<'group' | 'topic' | 'outcome'>;
  /** Records published but not yet committed by the group, per partition, as last sampled. */
  readonly lag: Gauge<'group' | 'topic' | 'partition'>;
  /** When the lag was last sampled successfully (seconds since the epoch); a stale value means sampling fails. */
  readonly lagSampledAt: Gauge<'group'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.processed = new Counter({ name: 'chat4all_worker_records_processed_total', help: 'Records handled successfully', labelNames: ['group', 'topic'], registers });
    this.failed = new Counter({ name: 'chat4all_worker_attempts_failed_total', help: 'Handler attempts that failed', labelNames: ['group', 'topic'], registers });
    this.waited = new Counter({ name: 'chat4all_worker_attempts_waited_total', help: 'Handler attempts that asked to retry later', labelNames: ['group', 'topic'], registers });
    this.deadLettered = new Counter({
      name: 'chat4all_worker_records_dead_lettered_total',
      help: 'Records sent to the dead-letter topic',
      labelNames: ['group', 'topic', 'kind'],
      registers,
    });
    this.duration = new Histogram({
      name: 'chat4all_worker_handler_duration_seconds',
      help: 'Duration of one handler attempt',
      labelNames: ['group', 'topic', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.lag = new Gauge({ name: 'chat4all_worker_consumer_lag', help: 'Records not yet committed by the consumer group', labelNames: ['group', 'topic', 'partition'], registers });
    this.lagSampledAt = new Gauge({ name: 'chat4all_worker_consumer_lag_sampled_at_seconds', help: 'Time of the last successful lag sample', labelNames: ['group'], registers });
  }
}

const byRegistry = new WeakMap<Registry, WorkerMetrics>();

/** The worker metrics registered on `registry`, created on first use (prom-client refuses a name registered twice). */
export function workerMetrics(registry: Registry): WorkerMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    metrics = new WorkerMetrics(registry);
    byRegistry.set(registry, metrics);
  }
  return metrics;
}
