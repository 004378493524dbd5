import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Env } from '@chat4all/common';
import { launch, type Running as LaunchedProcess } from './launch';
import { E2E_PORTS } from './stack';

/** Ports of the lifecycle processes the subscription tests add to the e2e stack (10 above its gateway's). */
const base = E2E_PORTS.gateway + 10;
export const WORKER_PORTS = { router: base, whatsapp: base + 1, whatsappSimulator: base + 2, secondGateway: base + 3 } as const;
type WorkerName = keyof typeof WORKER_PORTS;

const entries: Record<WorkerName, string> = {
  router: 'workers/router/src/main.ts',
  whatsapp: 'connectors/whatsapp/src/main.ts',
  whatsappSimulator: 'connectors/whatsapp/src/simulator/main.ts',
  secondGateway: 'gateway/src/main.ts',
};

export interface Workers {
  /** Each worker's process id (the benchmarks count their CPU). */
  pids: Record<'router' | 'whatsapp' | 'whatsappSimulator', number | undefined>;
  stop(): Promise<void>;
}

type Running = LaunchedProcess<WorkerName>;

/** One worker as `npm start` runs it (see `launch`). */
function launchWorker(name: WorkerName, env: Env): Running {
  return launch(name, entries[name], WORKER_PORTS[name], env);
}

async function waitAnswering(service: Running, route: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exitCode: number | null | undefined;
  void service.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`e2e: ${service.name} exited with ${exitCode}; ${service.logFile}:\n${readFileSync(service.logFile, 'utf8').split('\n').slice(-15).join('\n')}`);
    }
    const ok = await fetch(`http://127.0.0.1:${WORKER_PORTS[service.name]}${route}`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`e2e: ${service.name} did not answer ${route} within 60 s; see ${service.logFile}`);
}

async function terminate(service: Running): Promise<void> {
  if (service.child.exitCode !== null) return;
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), 20_000);
  await service.exited;
  clearTimeout(timer);
}

/**
 * The router, the WhatsApp connector and its platform simulator as processes on the platform topics (no topic prefix:
 * the messages subgraph publishes to the plain `messages.accepted`), storing in the e2e keyspace, so a message sent
 * through the gateway really goes SENT → DELIVERED → READ.
 */
export async function startWorkers(engines: Env): Promise<Workers> {
  const connector = `http://127.0.0.1:${WORKER_PORTS.whatsapp}/webhook`;
  const api = `http://127.0.0.1:${WORKER_PORTS.whatsappSimulator}`;
  const platform = { WHATSAPP_API_URL: api, WHATSAPP_WEBHOOK_URL: connector, WHATSAPP_TOKEN: 'e2e-wa-token', WHATSAPP_APP_SECRET: 'e2e-wa-secret' };
  const common: Env = {
    ...engines,
    CHAT4ALL_PROFILE: 'local',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
    // As the services in stack.ts: the benchmarks set it to production.
    ...(process.env.E2E_NODE_ENV && { NODE_ENV: process.env.E2E_NODE_ENV }),
  };
  const simulator = launchWorker('whatsappSimulator', { ...common, ...platform, SIM_LATENCY_MIN_MS: '5', SIM_LATENCY_MAX_MS: '20' });
  // Short retries, so a backlog record left by earlier runs (e.g. a file the files subgraph no longer has) fails fast.
  const whatsapp = launchWorker('whatsapp', { ...common, ...platform, KAFKA_CLIENT_ID: 'e2e-whatsapp', WORKER_RETRY_INITIAL_MS: '20', WORKER_RETRY_MAX_MS: '200' });
  const router = launchWorker('router', { ...common, KAFKA_CLIENT_ID: 'e2e-router' });
  const all = [router, whatsapp, simulator];
  const stop = async () => {
    for (const service of all) await terminate(service);
  };
  try {
    await Promise.all([waitAnswering(simulator, '/healthz'), waitAnswering(whatsapp, '/readyz'), waitAnswering(router, '/readyz')]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { pids: { router: router.child.pid, whatsapp: whatsapp.child.pid, whatsappSimulator: simulator.child.pid }, stop };
}

/**
 * A second gateway instance beside the stack's (same subgraphs and secrets, on WORKER_PORTS.secondGateway), as a load balancer would have
 * it: its own Kafka feed, its own subscribers. Resolves once it is ready (its feed has joined its group).
 */
export async function startSecondGateway(env: Env): Promise<{ graphqlUrl: string; stop(): Promise<void> }> {
  const gateway = launchWorker('secondGateway', { CHAT4ALL_PROFILE: 'local', HOST: '127.0.0.1', LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info', ...env });
  const stop = () => terminate(gateway);
  try {
    await waitAnswering(gateway, '/readyz');
  } catch (error) {
    await stop();
    throw error;
  }
  return { graphqlUrl: `http://127.0.0.1:${WORKER_PORTS.secondGateway}/graphql`, stop };
}
