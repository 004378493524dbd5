import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/**
 * Services started as separate processes by the tests (router, connectors, simulators, the lifecycle pipeline): one
 * way to start them, read their output, wait for them, stop or kill them, and read their /metrics.
 */

export const REPO_ROOT = path.join(__dirname, '..', '..', '..');
const KEEP_LINES = 400;
const KEEP_LOGS = 20_000;
const KEEP_STDERR_CHARS = 64 * 1024;

/** One JSON log line (pino) a service wrote on stdout; a line that is not JSON is kept as `{ msg, unparsed: true }`. */
export type LogLine = Record<string, unknown> & { msg?: string };

/** The signals that ask a service to drain and exit. */
export type StopSignal = 'SIGTERM' | 'SIGINT';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

// Should the test process end without stopping its services (a crash, a killed jest worker), none outlives it.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A service started as its own process (`node --import tsx <script>`), with its output kept for assertions and failures. */
export class ServiceProcess {
  /** The last lines of stdout and stderr, raw, for error messages. */
  readonly lines: string[] = [];
  /** Every log line on stdout, parsed (bounded, oldest dropped first). */
  readonly logs: LogLine[] = [];
  /** Exit code (null when ended by a signal). */
  readonly exited: Promise<number | null>;
  /** Exit code and signal. */
  readonly ended: Promise<ExitStatus>;
  private readonly child: ChildProcess;
  private stderrText = '';
  private readonly waiters = new Set<{ predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();

  constructor(
    readonly name: string,
    script: string,
    env: Record<string, string>,
    /** Command-line arguments after the script (a CLI such as a third-party gateway's). */
    args: readonly string[] = [],
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this.child);
    let partial = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) this.onLine(text, true);
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.stderrText = (this.stderrText + text).slice(-KEEP_STDERR_CHARS);
      for (const line of text.split('\n')) this.onLine(line, false);
    });
    this.ended = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        live.delete(this.child);
        resolve({ code, signal });
      }),
    );
    this.exited = this.ended.then(({ code }) => code);
  }

  private onLine(text: string, stdout: boolean): void {
    if (text.trim() === '') return;
    this.lines.push(text);
    if (this.lines.length > KEEP_LINES) this.lines.shift();
    if (!stdout) return;
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text, unparsed: true };
    }
    this.logs.push(line);
    if (this.logs.length > KEEP_LOGS) this.logs.shift();
    for (const waiter of [...this.waiters]) {
      if (!waiter.predicate(line)) continue;
      this.waiters.delete(waiter);
      waiter.resolve(line);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What it wrote on stderr (the last 64 KiB). */
  stderr(): string {
    return this.stderrText;
  }

  /** The last lines it wrote, for an error message. */
  tail(n = 30): string {
    return `--- ${this.name} (last ${n} lines) ---\n${this.lines.slice(-n).join('\n')}`;
  }

  /** Resolves with the first log line, past or future, that matches; fails when the process exits or the time is up. */
  waitForLine(predicate: (line: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    const seen = this.logs.find(predicate);
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
        this.waiters.delete(waiter);
        reject(new Error(`${this.name}: no matching log line within ${timeoutMs} ms\n${this.tail(15)}`));
      }, timeoutMs);
      this.waiters.add(waiter);
      void this.ended.then(({ code, signal }) => {
        if (!this.waiters.delete(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (code ${code}, signal ${signal}) before the expected log line\n${this.tail(15)}`));
      });
    });
  }

  /** SIGKILL: no shutdown sequence, nothing committed, connections just drop. */
  async kill9(): Promise<ExitStatus> {
    if (this.running) this.child.kill('SIGKILL');
    return this.ended;
  }

  /** SIGTERM (or SIGINT, what Ctrl-C sends) and wait: the graceful path; SIGKILL if it takes longer than `timeoutMs`. */
  async stop(timeoutMs = 15_000, signal: StopSignal = 'SIGTERM'): Promise<ExitStatus> {
    if (!this.running) return this.ended;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const status = await this.ended;
    clearTimeout(timer);
    return status;
  }
}

/** A TCP port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Waits until `GET url` answers 200; fails with the process's output when it exits or the time is up. */
export async function waitReady(service: ServiceProcess, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!service.running) throw new Error(`${service.name} exited before it was ready\n${service.tail()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${service.name} not ready at ${url} after ${timeoutMs} ms\n${service.tail()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Polls `predicate` every `everyMs` until it holds; fails after `timeoutMs` naming `what` (and `explain()`'s text). */
export async function waitFor(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 90_000,
  explain?: () => string,
  everyMs = 100,
): Promise<void> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${explain ? `\n${explain()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** GET a service's /metrics text. */
export async function fetchMetrics(origin: string): Promise<string> {
  const response = await fetch(`${origin}/metrics`);
  if (response.status !== 200) throw new Error(`${origin}/metrics answered ${response.status}`);
  return response.text();
}

/** One sample of a Prometheus text exposition: `name{label="value",...} number`. */
function parseSample(line: string): { name: string; labels: Record<string, string>; value: number } | null {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
  if (!match) return null;
  const labels: Record<string, string> = {};
  for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
  return { name: match[1]!, labels, value: Number(match[3]) };
}

/** The sum of a Prometheus metric's series whose labels include `labels` (0 when none), from a /metrics text. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const sample = parseSample(line);
    if (sample?.name !== name) continue;
    if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) sum += sample.value;
  }
  return sum;
}

/** How many series of a metric have labels including `labels` (e.g. one lag gauge per partition). */
export function metricSeries(text: string, name: string, labels: Record<string, string> = {}): number {
  return text
    .split('\n')
    .map(parseSample)
    .filter((s) => s?.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).length;
}
