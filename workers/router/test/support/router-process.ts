import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * The router as a separate process (`node --import tsx workers/router/src/main.ts`), as tests across the repository
 * start it. Isolation comes from the environment: `KAFKA_TOPIC_PREFIX` (its own topics and consumer groups, created by
 * the test) and `CASSANDRA_KEYSPACE` (a migrated test keyspace); `PORT: '0'` picks a free port, read from the log.
 */
export const REPO_ROOT = path.resolve(__dirname, '../../../..');
export const ROUTER_MAIN = path.join(REPO_ROOT, 'workers/router/src/main.ts');

export type LogLine = Record<string, unknown> & { msg?: string };

export interface RouterProcess {
  child: ChildProcess;
  /** The ops HTTP port (/healthz, /readyz, /metrics). */
  port: number;
  /** Every JSON log line so far, parsed. */
  lines: LogLine[];
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLine(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  metrics(): Promise<string>;
}

function launch(env: Record<string, string>): Omit<RouterProcess, 'port' | 'metrics'> {
  const child = spawn(process.execPath, ['--import', 'tsx', ROUTER_MAIN], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters = new Set<{ predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const text of parts) {
      if (!text.trim()) continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text, unparsed: true };
      }
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    }
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const describe = () => `stderr: ${stderr.slice(-2000)}\nlast log lines:\n${lines.slice(-15).map((l) => JSON.stringify(l)).join('\n')}`;
  const waitForLine = (predicate: (line: LogLine) => boolean, timeoutMs = 60_000) => {
    const seen = lines.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (line: LogLine) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`router process: no matching log line within ${timeoutMs} ms\n${describe()}`));
      }, timeoutMs);
      waiters.add(waiter);
      void exited.then(({ code, signal }) => {
        if (!waiters.has(waiter)) return;
        waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`router process exited (code ${code}, signal ${signal}) before the expected log line\n${describe()}`));
      });
    });
  };
  return { child, lines, stderr: () => stderr, exited, waitForLine };
}

/** Starts the router and resolves once it serves its ops port (consumers joined, checks passed). */
export async function startRouterProcess(env: Record<string, string>, timeoutMs = 90_000): Promise<RouterProcess> {
  const running = launch(env);
  const started = await running.waitForLine((l) => l.msg === 'service started', timeoutMs);
  const port = Number(started.port);
  return {
    ...running,
    port,
    metrics: async () => {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      return response.text();
    },
  };
}

/** Runs the router expecting it to refuse to start; resolves with its exit code and stderr. */
export async function runRouterToExit(env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; stderr: string }> {
  const running = launch(env);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), timeoutMs);
  const { code } = await running.exited;
  clearTimeout(timer);
  return { code, stderr: running.stderr() };
}

/** Sums the samples of a Prometheus metric whose labels include every given one. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (!Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
