import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Env } from '@chat4all/common';
import { repositoryRoot } from '../../support/codegen';
import { workerPortBase } from '../../support/ports';
import { prepareEngines } from './engines';

/** Ports away from the defaults (4000–4003), so a development stack can keep running beside the tests; one block per jest worker. */
const base = workerPortBase();
export const E2E_PORTS = { gateway: base, users: base + 1, messages: base + 2, files: base + 3 } as const;
export type ServiceName = keyof typeof E2E_PORTS;

const entries: Record<ServiceName, string> = {
  users: 'subgraphs/users/src/main.ts',
  messages: 'subgraphs/messages/src/main.ts',
  files: 'subgraphs/files/src/main.ts',
  gateway: 'gateway/src/main.ts',
};

export const LOG_DIR = path.join(path.resolve(repositoryRoot, process.env.CHAT4ALL_LOCAL_DIR ?? '.local'), 'logs/e2e');
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

export interface E2eStack {
  /** http://127.0.0.1:<port> of each service. */
  origins: Record<ServiceName, string>;
  graphqlUrl: string;
  /** The secrets every service of this run shares (fresh per run). */
  secrets: { JWT_SECRET: string; IDENTITY_SIGNING_KEY: string };
  /** Process id of each service (benchmarks sample their memory). */
  pids: Record<ServiceName, number | undefined>;
  /** SIGTERM to every process (gateway first), then their exit codes (null: killed by a signal after the timeout). */
  stop(): Promise<Record<ServiceName, number | null>>;
}

interface Running {
  name: ServiceName;
  child: ChildProcess;
  exited: Promise<number | null>;
  logFile: string;
}

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

// Should the test process end without stopping the stack (a crash, a killed jest worker), no service outlives it.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** One service as `npm start` runs it: its own node process on `main.ts`, output appended to .local/logs/e2e/<name>.log. */
function launch(name: ServiceName, env: Env): Running {
  const logFile = path.join(LOG_DIR, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'w' });
  const child = spawn(process.execPath, ['--import', 'tsx', entries[name]], {
    cwd: repositoryRoot,
    env: { ...process.env, ...env, PORT: String(E2E_PORTS[name]) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(child);
      // Let the pipes flush their last lines before the file closes.
      setImmediate(() => log.end());
      resolve(code);
    });
  });
  return { name, child, exited, logFile };
}

async function waitReady(service: Running): Promise<void> {
  const readyz = `${url(E2E_PORTS[service.name])}/readyz`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exitCode: number | null | undefined;
  void service.exited.then((code) => (exitCode = code));
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`e2e: ${service.name} exited with code ${exitCode} before it was ready; ${service.logFile}:\n${logTail(service.logFile)}`);
    }
    try {
      const response = await fetch(readyz, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(200);
  }
  throw new Error(`e2e: ${service.name} not ready after ${READY_TIMEOUT_MS} ms (last: ${last}); ${service.logFile}:\n${logTail(service.logFile)}`);
}

async function terminate(service: Running): Promise<number | null> {
  if (service.child.exitCode !== null) return service.child.exitCode;
  service.child.kill('SIGTERM');
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

/**
 * The users, messages and files subgraphs and the gateway as four separate processes on the real engines, with shared
 * fresh secrets, each ready (/readyz 200) before this resolves. A service that fails to start fails the call with the
 * tail of its log, after the others are stopped.
 */
export async function startStack(): Promise<E2eStack> {
  mkdirSync(LOG_DIR, { recursive: true });
  for (const [name, port] of Object.entries(E2E_PORTS)) await refuseBusyPort(name as ServiceName, port);
  const engines = await prepareEngines();
  const secrets = { JWT_SECRET: randomBytes(32).toString('base64url'), IDENTITY_SIGNING_KEY: randomBytes(32).toString('base64url') };
  const origins = Object.fromEntries(Object.entries(E2E_PORTS).map(([name, port]) => [name, url(port)])) as Record<ServiceName, string>;
  const shared: Env = {
    ...engines,
    ...secrets,
    CHAT4ALL_PROFILE: 'local',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
    SUBGRAPH_USERS_URL: `${origins.users}/graphql`,
    SUBGRAPH_MESSAGES_URL: `${origins.messages}/graphql`,
    SUBGRAPH_FILES_URL: `${origins.files}/graphql`,
  };

  // The gateway serves the committed supergraph, so it needs no subgraph to start: all four start side by side.
  const services = (['users', 'messages', 'files', 'gateway'] as const).map((name) => launch(name, shared));
  const stop = async () => {
    const gateway = services.filter((s) => s.name === 'gateway');
    const subgraphs = services.filter((s) => s.name !== 'gateway');
    const codes: Partial<Record<ServiceName, number | null>> = {};
    // Clients' entry first, so no request reaches a subgraph that is already going away.
    for (const s of gateway) codes[s.name] = await terminate(s);
    await Promise.all(subgraphs.map(async (s) => (codes[s.name] = await terminate(s))));
    return codes as Record<ServiceName, number | null>;
  };
  const ready = await Promise.allSettled(services.map(waitReady));
  const failed = ready.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failed.length > 0) {
    await stop();
    throw new Error(failed.map((e) => e.message).join('\n\n'));
  }
  const pids = Object.fromEntries(services.map((s) => [s.name, s.child.pid])) as Record<ServiceName, number | undefined>;
  return { origins, graphqlUrl: `${origins.gateway}/graphql`, secrets, pids, stop };
}
