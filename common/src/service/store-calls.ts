import { Counter, type Registry } from 'prom-client';

export const STORE_CALLS_METRIC = 'chat4all_store_calls_total';

/** The service's one counter of store calls (created on first use, so several stores may share it). */
function storeCallsCounter(metrics: Registry): Counter<'store' | 'operation'> {
  const existing = metrics.getSingleMetric(STORE_CALLS_METRIC);
  if (existing) return existing as Counter<'store' | 'operation'>;
  return new Counter({
    name: STORE_CALLS_METRIC,
    help: 'Calls to a store port by method; a batched lookup counts once per batch, so this shows whether DataLoaders batch',
    labelNames: ['store', 'operation'],
    registers: [metrics],
  });
}

/**
 * The same store, counting each method call in `chat4all_store_calls_total{store, operation}` on the service's
 * /metrics. Methods run on the original object, so adapters with private fields behave as before.
 */
export function countStoreCalls<T extends object>(store: T, metrics: Registry, storeName: string): T {
  const counter = storeCallsCounter(metrics);
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        counter.inc({ store: storeName, operation: property });
        return method.apply(target, args);
      };
    },
  });
}
