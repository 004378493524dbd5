import type { Registry } from 'prom-client';
import { sharedCounter } from './metrics';

export const STORE_CALLS_METRIC = 'chat4all_store_calls_total';

/**
 * The same store, counting each method call in `chat4all_store_calls_total{store, operation}` on the service's
 * /metrics. Methods run on the original object, so adapters with private fields behave as before.
 */
export function countStoreCalls<T extends object>(store: T, metrics: Registry, storeName: string): T {
  const counter = sharedCounter(
    metrics,
    STORE_CALLS_METRIC,
    'Calls to a store port by method; a batched lookup counts once per batch, so this shows whether DataLoaders batch',
    ['store', 'operation'],
  );
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
