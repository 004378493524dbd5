import { readdir } from 'node:fs/promises';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** A service's metrics registry (prom-client's), for workspaces that do not depend on prom-client themselves. */
export type MetricsRegistry = Registry;

/**
 * Default metrics whose every read walks all of the process's handles or file descriptors on its event loop:
 * `_getActiveHandles()`, `getActiveResourcesInfo()` and a synchronous `readdir` of /proc/self/fd. With 10,000 open
 * sockets (a gateway's subscribers) one `/metrics` read then held the loop 22–39 ms against ~1 ms without them. The
 * handle and resource counts are left out (the services' own gauges count their connections and subscriptions);
 * the descriptor count is kept, read off the loop (`openFileDescriptors`).
 */
export const WHOLE_PROCESS_WALKS = ['nodejs_active_handles', 'nodejs_active_handles_total', 'nodejs_active_resources', 'nodejs_active_resources_total', 'process_open_fds'] as const;

/** `process_open_fds` as prom-client's, but its directory read runs in libuv's thread pool instead of on the event loop. */
function openFileDescriptors(registry: Registry): void {
  if (process.platform !== 'linux') return;
  new Gauge({
    name: 'process_open_fds',
    help: 'Number of open file descriptors.',
    registers: [registry],
    async collect() {
      try {
        // The read's own descriptor is open while it lists the directory.
        this.set((await readdir('/proc/self/fd')).length - 1);
      } catch {
        // Not readable here: the gauge keeps its last value.
      }
    },
  });
}

/** One registry per service process, with Node's default metrics and the service's name as a label. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  for (const name of WHOLE_PROCESS_WALKS) registry.removeSingleMetric(name);
  openFileDescriptors(registry);
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
