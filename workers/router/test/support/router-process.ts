import { ServiceProcess, fetchMetrics } from '../../../../common/test/support/processes';

export { metricValue, type LogLine } from '../../../../common/test/support/processes';

/**
 * The router as a separate process (`node --import tsx workers/router/src/main.ts`), started the way every
 * process-level test starts a service (`ServiceProcess`). Isolation comes from the environment: `KAFKA_TOPIC_PREFIX`
 * (its own topics and consumer groups, created by the test) and `CASSANDRA_KEYSPACE` (a migrated test keyspace);
 * `PORT: '0'` picks a free port, read from the log.
 */
export const ROUTER_MAIN = 'workers/router/src/main.ts';

export interface RouterProcess {
  process: ServiceProcess;
  /** The ops HTTP port (/healthz, /readyz, /metrics). */
  port: number;
  metrics(): Promise<string>;
}

/** Starts the router and resolves once it serves its ops port (consumers joined, checks passed). */
export async function startRouterProcess(env: Record<string, string>, timeoutMs = 90_000, name = 'router'): Promise<RouterProcess> {
  const running = new ServiceProcess(name, ROUTER_MAIN, env);
  const started = await running.waitForLine((l) => l.msg === 'service started', timeoutMs);
  const port = Number(started.port);
  return { process: running, port, metrics: () => fetchMetrics(`http://127.0.0.1:${port}`) };
}

/** Runs the router expecting it to refuse to start; resolves with its exit code and stderr. */
export async function runRouterToExit(env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; stderr: string }> {
  const running = new ServiceProcess('router', ROUTER_MAIN, env);
  const timer = setTimeout(() => void running.kill9(), timeoutMs);
  const { code } = await running.ended;
  clearTimeout(timer);
  return { code, stderr: running.stderr() };
}
