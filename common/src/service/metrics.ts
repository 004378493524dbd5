import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** A service's metrics registry (prom-client's), for workspaces that do not depend on prom-client themselves. */
export type MetricsRegistry = Registry;

/** One registry per service process, with Node's default metrics and the service's name as a label. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * The registry's counter of that name, created on first use: several parts of one service (stores, servers) may
 * count into the same metric, and prom-client refuses a second registration.
 */
export function sharedCounter<L extends string>(metrics: Registry, name: string, help: string, labelNames: readonly L[]): Counter<L> {
  const existing = metrics.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [metrics] });
}
