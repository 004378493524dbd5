import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Env } from '@chat4all/common';
import type { StopSignal } from '../../../common/test/support/processes';
import { workerPortBase } from '../../support/ports';
import { freshSecrets, startEmbeddedPlatform } from './embedded';
import { prepareEngines } from './engines';
import { launch, LOG_DIR, type Running as LaunchedProcess } from './launch';

/** Ports away from the defaults (4000–4003), so a development stack can keep running beside the tests; one block per jest worker. */
const base = workerPortBase();
export const E2E_PORTS = { gateway: base, users: base + 1, messages: base + 2, files: base + 3 } as const;
export type ServiceName = keyof typeof E2E_PORTS;

/**
 * How the stack runs: `engines` = one process per service on the real Kafka, Cassandra, PostgreSQL and S3;
 * `embedded` = `npm start`, the whole platform (router, connectors and simulators included) in one process on the
 * embedded adapters and a fresh temporary data folder. The e2e suites run their scenarios once in each.
 */
export type StackMode = 'engines' | 'embedded';
export const STACK_MODES: readonly StackMode[] = ['engines', 'embedded'];

const entries: Record<ServiceName, string> = {
  users: 'subgraphs/users/src/main.ts',
  messages: 'subgraphs/messages/src/main.ts',
  files: 'subgraphs/files/src/main.ts',
  gateway: 'gateway/src/main.ts',
};

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

export interface E2eStack {
  mode: StackMode;
  /** http://127.0.0.1:<port> of each service. */
  origins: Record<ServiceName, string>;
  graphqlUrl: string;
  /** The secrets every service of this run shares (fresh per run). */
  secrets: { JWT_SECRET: string; IDENTITY_SIGNING_KEY: string };
  /** Process id of each service (benchmarks sample their memory). */
  pids: Record<ServiceName, number | undefined>;
  /**
   * SIGTERM (or SIGINT, Ctrl-C's) to every process (gateway first), then their exit codes (null: killed by a signal
   * after the timeout).
   */
  stop(signal?: StopSignal): Promise<Record<ServiceName, number | null>>;
}

type Running = LaunchedProcess<ServiceName>;

function url(port: number): string {
  return `http://127.0.0.1:${port}`;
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

async function refuseBusyPort(name: ServiceName, port: number): Promise<void> {
  const answered = await fetch(`${url(port)}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
    () => true,
    () => false,
  );
  if (answered) throw new Error(`e2e: port ${port} (for ${name}) already answers; a stack from an earlier run may still be up`);
}

async function waitReady(service: Running): Promise<void> {
  let exitCode: number | null | undefined;
  void service.exited.then((code) => (exitCode = code));
  await waitAnswering(
    service.name,
    () => (exitCode === undefined ? undefined : `exited with code ${exitCode} before it was ready`),
    () => `${service.logFile}:\n${logTail(service.logFile)}`,
  );
}

/** Polls the service's /readyz until 200; `gone` names why waiting is pointless (its process ended), `logs` its output. */
async function waitAnswering(name: ServiceName, gone: () => string | undefined, logs: () => string): Promise<void> {
  const readyz = `${url(E2E_PORTS[name])}/readyz`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const why = gone();
    if (why !== undefined) throw new Error(`e2e: ${name} ${why}; ${logs()}`);
    try {
      const response = await fetch(readyz, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(200);
  }
  throw new Error(`e2e: ${name} not ready after ${READY_TIMEOUT_MS} ms (last: ${last}); ${logs()}`);
}

async function terminate(service: Running, signal: StopSignal): Promise<number | null> {
  if (service.child.exitCode !== null) return service.child.exitCode;
  service.child.kill(signal);
  const cancel = new AbortController();
  // Aborted once the race is decided, so no timer keeps jest waiting; what the aborted promise yields is never read.
  const timeout = sleep(STOP_TIMEOUT_MS, 'timeout' as const, { signal: cancel.signal }).catch(() => 'timeout' as const);
  const outcome = await Promise.race([service.exited, timeout]);
  cancel.abort();
  if (outcome !== 'timeout') return outcome;
  // Never leave a process behind; a null code then fails the caller's exit-code check.
  service.child.kill('SIGKILL');
  await service.exited;
  return null;
}

const origins = Object.fromEntries(Object.entries(E2E_PORTS).map(([name, port]) => [name, url(port)])) as Record<ServiceName, string>;

/**
 * `engines`: the users, messages and files subgraphs and the gateway as four separate processes on the real engines,
 * with shared fresh secrets, each ready (/readyz 200) before this resolves. A service that fails to start fails the
 * call with the tail of its log, after the others are stopped.
 * `embedded`: the one `npm start` process on a fresh temporary data folder (removed by `stop`), at the same ports.
 */
export async function startStack(mode: StackMode = 'engines'): Promise<E2eStack> {
  mkdirSync(LOG_DIR, { recursive: true });
  for (const [name, port] of Object.entries(E2E_PORTS)) await refuseBusyPort(name as ServiceName, port);
  return mode === 'embedded' ? startEmbeddedStack() : startEnginesStack();
}

async function startEmbeddedStack(): Promise<E2eStack> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chat4all-e2e-'));
  const secrets = freshSecrets();
  const platform = await startEmbeddedPlatform({ dataDir, secrets }).catch((error: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  const gone = () => (platform.process.running ? undefined : 'exited (the embedded platform process)');
  try {
    await Promise.all((Object.keys(E2E_PORTS) as ServiceName[]).map((name) => waitAnswering(name, gone, () => platform.process.tail(15))));
  } catch (error) {
    await platform.kill9();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    mode: 'embedded',
    origins,
    graphqlUrl: `${origins.gateway}/graphql`,
    secrets,
    // One process hosts all four.
    pids: { gateway: platform.process.pid, users: platform.process.pid, messages: platform.process.pid, files: platform.process.pid },
    stop: async (signal: StopSignal = 'SIGTERM') => {
      const { code } = await platform.stop(signal);
      rmSync(dataDir, { recursive: true, force: true });
      return { gateway: code, users: code, messages: code, files: code };
    },
  };
}

async function startEnginesStack(): Promise<E2eStack> {
  const engines = await prepareEngines();
  const secrets = { JWT_SECRET: randomBytes(32).toString('base64url'), IDENTITY_SIGNING_KEY: randomBytes(32).toString('base64url') };
  const shared: Env = {
    ...engines,
    ...secrets,
    CHAT4ALL_PROFILE: 'local',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
    // The benchmarks run the services as the image does (NODE_ENV=production: graphql-js skips its development checks).
    ...(process.env.E2E_NODE_ENV && { NODE_ENV: process.env.E2E_NODE_ENV }),
    SUBGRAPH_USERS_URL: `${origins.users}/graphql`,
    SUBGRAPH_MESSAGES_URL: `${origins.messages}/graphql`,
    SUBGRAPH_FILES_URL: `${origins.files}/graphql`,
  };

  // The gateway serves the committed supergraph, so it needs no subgraph to start: all four start side by side.
  const services = (['users', 'messages', 'files', 'gateway'] as const).map((name) => launch(name, entries[name], E2E_PORTS[name], shared));
  const stop = async (signal: StopSignal = 'SIGTERM') => {
    const gateway = services.filter((s) => s.name === 'gateway');
    const subgraphs = services.filter((s) => s.name !== 'gateway');
    const codes: Partial<Record<ServiceName, number | null>> = {};
    // Clients' entry first, so no request reaches a subgraph that is already going away.
    for (const s of gateway) codes[s.name] = await terminate(s, signal);
    await Promise.all(subgraphs.map(async (s) => (codes[s.name] = await terminate(s, signal))));
    return codes as Record<ServiceName, number | null>;
  };
  const ready = await Promise.allSettled(services.map(waitReady));
  const failed = ready.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failed.length > 0) {
    await stop();
    throw new Error(failed.map((e) => e.message).join('\n\n'));
  }
  const pids = Object.fromEntries(services.map((s) => [s.name, s.child.pid])) as Record<ServiceName, number | undefined>;
  return { mode: 'engines', origins, graphqlUrl: `${origins.gateway}/graphql`, secrets, pids, stop };
}
