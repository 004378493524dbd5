import { Counter, Gauge, type Registry } from 'prom-client';
import type { ResolutionMetrics } from './resolve';
import type { ReplayOutcome } from './resume';

/** Why a subscriber's socket was closed with 4429. */
export type TooSlowReason = 'queue' | 'socket_buffer';

export interface SubscriptionMetrics {
  tooSlow(reason: TooSlowReason): void;
  replay(outcome: ReplayOutcome): void;
  /** The feed waited this long for room in the subscribers' queues (fanout.ts). */
  feedWaited(ms: number): void;
  /** Counts a subscription's queue in the depth gauges until the returned function is called. */
  track(queue: { readonly size: number }): () => void;
}

/** On the service's /metrics: queue depth, 4429 closes by reason, resumes by outcome. */
export function subscriptionMetrics(registry: Registry): SubscriptionMetrics {
  const queues = new Set<{ readonly size: number }>();
  const sizes = () => [...queues].map((q) => q.size);
  new Gauge({
    name: 'chat4all_subscription_queued_events',
    help: 'Events waiting in subscription queues on this instance (all subscriptions)',
    registers: [registry],
    collect() {
      this.set(sizes().reduce((a, b) => a + b, 0));
    },
  });
  new Gauge({
    name: 'chat4all_subscription_queue_depth_max',
    help: 'Events waiting in the fullest subscription queue on this instance',
    registers: [registry],
    collect() {
      this.set(Math.max(0, ...sizes()));
    },
  });
  new Gauge({
    name: 'chat4all_subscriptions_active',
    help: 'Subscriptions running on this instance',
    registers: [registry],
    collect() {
      this.set(queues.size);
    },
  });
  const tooSlow = new Counter({
    name: 'chat4all_subscription_too_slow_closes_total',
    help: 'Sockets closed with 4429 because their subscriber did not keep up, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const feedWaits = new Counter({
    name: 'chat4all_subscription_feed_wait_seconds_total',
    help: "Time the subscription feed waited for subscribers to take the events handed out before it (the gateway was behind; the backlog waited in Kafka)",
    registers: [registry],
  });
  const replays = new Counter({
    name: 'chat4all_subscription_replays_total',
    help: 'Subscriptions resumed with `after`, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  return {
    tooSlow: (reason) => tooSlow.inc({ reason }),
    replay: (outcome) => replays.inc({ outcome }),
    feedWaited: (ms) => feedWaits.inc(ms / 1000),
    track(queue) {
      queues.add(queue);
      return () => queues.delete(queue);
    },
  };
}

/** For tests and callers without a registry. */
export const NO_METRICS: SubscriptionMetrics = { tooSlow: () => undefined, replay: () => undefined, feedWaited: () => undefined, track: () => () => undefined };

/** What resolving subscription events costs, on /metrics: subgraph requests and (event, selection) resolutions. */
export function resolutionMetrics(metrics: Registry): ResolutionMetrics {
  const fetches = new Counter({
    name: 'chat4all_subscription_subgraph_fetches_total',
    help: 'Subgraph requests made to resolve subscription events (shared by every subscriber holding the same selection)',
    labelNames: ['subgraph'],
    registers: [metrics],
  });
  const resolutions = new Counter({
    name: 'chat4all_subscription_resolutions_total',
    help: 'Subscription events resolved, once per distinct selection however many subscribers receive them',
    labelNames: ['outcome'],
    registers: [metrics],
  });
  return { subgraphFetch: (subgraph) => fetches.inc({ subgraph }), resolution: (outcome) => resolutions.inc({ outcome }) };
}
