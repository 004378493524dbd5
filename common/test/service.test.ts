import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { once } from 'node:events';
import { z } from 'zod';
import { env, requireSchema, serviceEnv, startService, type RunningService } from '../src';

const fixture = path.join(__dirname, 'fixtures', 'demo-service.ts');
const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');

function runFixture(extraEnv: Record<string, string>) {
  const child = spawn(tsx, [fixture], { env: { ...process.env, LOG_LEVEL: 'info', ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function waitFor(predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('service bootstrap', () => {
  const schema = z.object({ ...serviceEnv, PORT: env.port(0), FAIL: env.bool(false) });
  let service: RunningService;
  let steps: string[];

  beforeEach(async () => {
    steps = [];
    service = await startService(
      {
        name: 'test',
        configSchema: schema,
        async start({ config, onShutdown, addReadinessCheck }) {
          addReadinessCheck('db', async () => (config.FAIL ? ['connection refused'] : []));
          addReadinessCheck('hangs', () => new Promise<string[]>(() => undefined));
          onShutdown('first started', () => void steps.push('first'));
          onShutdown('second started', () => void steps.push('second'));
        },
      },
      { env: { LOG_LEVEL: 'silent', PORT: '0' }, host: '127.0.0.1' },
    );
  });

  afterEach(async () => {
    await service.stop();
  });

  const url = (p: string) => `http://127.0.0.1:${service.port}${p}`;

  it('answers /healthz while the process runs', async () => {
    const res = await fetch(url('/healthz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('reports a hung dependency as not ready instead of hanging the probe', async () => {
    const res = await fetch(url('/readyz'));
    expect(res.status).toBe(503);
    const body = (await res.json()) as { problems: string[] };
    expect(body.problems).toEqual([expect.stringMatching(/^hangs: no answer within \d+ ms$/)]);
  });

  it('serves Prometheus metrics with the service label', async () => {
    const res = await fetch(url('/metrics'));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/process_cpu_user_seconds_total\{service="test"\}/);
  });

  it('answers 404 for unknown paths when the service has no routes', async () => {
    expect((await fetch(url('/nope'))).status).toBe(404);
  });

  it('runs shutdown steps in reverse order and then refuses connections', async () => {
    expect(await service.stop('test')).toBe(true);
    expect(steps).toEqual(['second', 'first']);
    await expect(fetch(url('/healthz'))).rejects.toThrow();
  });
});

describe('service shutdown with a busy keep-alive client', () => {
  it('ends the connection of a client that keeps sending, so the server closes and the later steps run', async () => {
    const steps: string[] = [];
    const service = await startService(
      {
        name: 'busy',
        configSchema: z.object({ ...serviceEnv, PORT: env.port(0) }),
        async start({ onShutdown }) {
          onShutdown('consumer', () => void steps.push('consumer stopped'));
          // Each request takes a moment, so one is always in flight on the connection when the stop begins.
          return { handler: (_req, res) => void setTimeout(() => res.end('ok'), 50) };
        },
      },
      { env: { LOG_LEVEL: 'silent', PORT: '0', SHUTDOWN_TIMEOUT_MS: '3000' }, host: '127.0.0.1' },
    );
    // One socket, reused for every request: what a platform retrying its webhooks over a pooled connection does.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: service.port, path: '/hook', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        }).on('error', reject);
      });
    let sending = true;
    let answered = 0;
    const client = (async () => {
      while (sending) {
        try {
          if ((await get()) === 200) answered += 1;
        } catch {
          return; // refused: the server is closed
        }
      }
    })();
    try {
      while (answered < 3) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await service.stop('test')).toBe(true);
      expect(steps).toEqual(['consumer stopped']);
    } finally {
      sending = false;
      agent.destroy();
      service.server.closeAllConnections();
      await client;
    }
  });
});

describe('requireSchema', () => {
  it('names what is missing and how to fix it', async () => {
    await expect(requireSchema('cassandra', async () => ['keyspace chat4all', 'migration 002'])).rejects.toThrow(
      'cassandra is not migrated: missing keyspace chat4all, migration 002 (run `npm run migrate`)',
    );
    await expect(requireSchema('cassandra', async () => [])).resolves.toBeUndefined();
  });
});

describe('service process', () => {
  jest.setTimeout(30_000);

  it('stops with one line naming the variable when the config is wrong', async () => {
    const run = runFixture({ PORT: 'not-a-port' });
    expect(await run.exited).toBe(1);
    const lines = run.output().stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^demo: invalid configuration: PORT: .*\(got "not-a-port"\)$/);
  });

  it('on SIGTERM runs its shutdown steps, logs JSON, and exits 0', async () => {
    const run = runFixture({ PORT: '0' });
    await waitFor(() => run.output().stdout.includes('service started'));
    const startLine = run.output().stdout.split('\n').find((line) => line.includes('service started'));
    const port = (JSON.parse(startLine ?? '{}') as { port: number }).port;
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${port}/anything`)).text()).toBe('demo');

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    const logs = run.output().stdout.trim().split('\n').map((line) => JSON.parse(line) as { msg: string; service: string });
    expect(logs.every((entry) => entry.service === 'demo')).toBe(true);
    const messages = logs.map((entry) => entry.msg);
    expect(messages).toEqual(['service started', 'shutting down', 'consumer committed and closed', 'stopped']);
  });

  it('reports an unready dependency on /readyz with 503', async () => {
    const run = runFixture({ PORT: '0', DEMO_FAIL_READY: 'true' });
    await waitFor(() => run.output().stdout.includes('service started'));
    const startLine = run.output().stdout.split('\n').find((line) => line.includes('service started'));
    const port = (JSON.parse(startLine ?? '{}') as { port: number }).port;
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not ready', problems: ['engine: engine unreachable'] });
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });
});
