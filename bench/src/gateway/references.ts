import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, ServiceProcess, waitReady } from '../../../common/test/support/processes';
import { E2E_PORTS } from '../../../test/e2e/support/stack';
import type { BenchStack } from '../stack';

/** Ports of the reference gateways, 30 above the e2e stack's gateway (its block holds the stack and the workers). */
export const REFERENCE_PORTS = { plainApollo: E2E_PORTS.gateway + 30, hive: E2E_PORTS.gateway + 31 } as const;

/** The committed supergraph with each subgraph's routing URL pointed at the stack's, in a temporary file. */
export function stackSupergraph(stack: BenchStack): string {
  const origins: Record<string, string> = { users: stack.origins.users, messages: stack.origins.messages, files: stack.origins.files };
  const sdl = readFileSync(path.join(REPO_ROOT, 'supergraph.graphql'), 'utf8').replace(
    /@join__graph\(name: "(\w+)", url: "[^"]*"\)/g,
    (whole, name: string) => (origins[name] ? `@join__graph(name: "${name}", url: "${origins[name]}/graphql")` : whole),
  );
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'chat4all-bench-')), 'supergraph.graphql');
  writeFileSync(file, sdl);
  return file;
}

/** Waits until a GraphQL endpoint answers `{ __typename }` (Apollo's CSRF check refuses a bare GET). */
async function waitGraphql(service: ServiceProcess, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!service.running) throw new Error(`${service.name} exited before it was ready\n${service.tail()}`);
    const ok = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }).then(
      async (r) => r.status === 200 && (await r.text()).includes('Query'),
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${service.name} not answering at ${url} after ${timeoutMs} ms\n${service.tail()}`);
    await sleep(200);
  }
}

export interface ReferenceGateway {
  process: ServiceProcess;
  graphqlUrl: string;
}

async function started(service: ServiceProcess, graphqlUrl: string, readyUrl?: string): Promise<ReferenceGateway> {
  try {
    if (readyUrl) await waitReady(service, readyUrl);
    await waitGraphql(service, graphqlUrl);
  } catch (error) {
    await service.stop();
    throw error;
  }
  return { process: service, graphqlUrl };
}

export function startPlainApollo(supergraphPath: string): Promise<ReferenceGateway> {
  const port = REFERENCE_PORTS.plainApollo;
  const service = new ServiceProcess('plain-apollo-gateway', 'bench/src/gateway/plain-apollo.ts', {
    PORT: String(port),
    SUPERGRAPH_PATH: supergraphPath,
    NODE_ENV: 'production',
  });
  return started(service, `http://127.0.0.1:${port}/`);
}

/** Hive Gateway's CLI on `port`, with the gateway benchmark's configuration unless told another (and its environment). */
export function startHive(supergraphPath: string, options: { configPath?: string; env?: Record<string, string>; port?: number } = {}): Promise<ReferenceGateway> {
  const port = options.port ?? REFERENCE_PORTS.hive;
  const cli = path.join(REPO_ROOT, 'node_modules/@graphql-hive/gateway/dist/bin.cjs');
  const configPath = options.configPath ?? path.join(REPO_ROOT, 'bench/src/gateway/hive.config.ts');
  const service = new ServiceProcess(
    'hive-gateway',
    cli,
    { NODE_ENV: 'production', ...options.env },
    ['supergraph', supergraphPath, '--config-path', configPath, '--host', '127.0.0.1', '--port', String(port)],
  );
  return started(service, `http://127.0.0.1:${port}/graphql`, `http://127.0.0.1:${port}/readiness`);
}
