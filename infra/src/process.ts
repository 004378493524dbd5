import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';

/**
 * Detached engine processes: each runs in its own process group, writes stdout and stderr
 * into its log file and survives the CLI that started it. The pid file is the only link
 * back to it, so every check also confirms the pid still belongs to our process (pids are reused).
 */
export interface DetachedSpec {
  command: string;
  args: string[];
  cwd: string;
  logFile: string;
  pidFile: string;
  /** A string that appears in the process's command line and nowhere else, e.g. `-Dchat4all.engine=kafka`. */
  marker: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * `command args` started with the Linux timer slack `slackNs` (how late the kernel may fire a thread's timed waits, so
 * it can group wake-ups; 50 µs by default). A shell sets its own slack, then execs the command in its place (same
 * pid); every thread the program creates inherits it. Where /proc/self/timerslack_ns is missing (not Linux) the
 * command starts unchanged.
 */
export function withTimerSlack(slackNs: number, command: string, args: readonly string[]): { command: string; args: string[] } {
  if (!Number.isInteger(slackNs) || slackNs < 1) throw new Error(`timer slack must be a positive number of nanoseconds, not ${slackNs}`);
  const script = 'echo "$1" > /proc/self/timerslack_ns 2>/dev/null; shift; exec "$@"';
  return { command: '/bin/sh', args: ['-c', script, 'sh', String(slackNs), command, ...args] };
}

export function spawnDetached(spec: DetachedSpec): number {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  mkdirSync(dirname(spec.pidFile), { recursive: true });
  // Keep the previous run's log beside the new one: it often explains why this start was needed.
  if (existsSync(spec.logFile) && statSync(spec.logFile).size > 0) renameSync(spec.logFile, `${spec.logFile}.1`);
  const out = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    writeFileSync(spec.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

export function readPidFile(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user; processMatches then reads /proc to decide.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pid` is alive, not a zombie, and its command line contains `marker`. */
export function processMatches(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the parenthesised command name; Z = exited, waiting to be reaped.
    if (/\)\s+Z\s/.test(stat)) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker);
  } catch {
    return false;
  }
}

/** The pid of our running engine, or undefined (a stale pid file is removed). */
export function runningPid(pidFile: string, marker: string): number | undefined {
  const pid = readPidFile(pidFile);
  if (pid === undefined) return undefined;
  if (processMatches(pid, marker)) return pid;
  rmSync(pidFile, { force: true });
  return undefined;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // Negative pid = the whole process group the detached spawn created.
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * SIGTERM, wait up to `timeoutMs` for the process to exit, then SIGKILL.
 * Returns how it ended, for the CLI to report.
 */
export async function stopProcess(pidFile: string, marker: string, timeoutMs: number): Promise<'not running' | 'stopped' | 'killed'> {
  const pid = runningPid(pidFile, marker);
  if (pid === undefined) return 'not running';
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processMatches(pid, marker)) {
      rmSync(pidFile, { force: true });
      return 'stopped';
    }
    await sleep(200);
  }
  signalGroup(pid, 'SIGKILL');
  while (processMatches(pid, marker)) await sleep(100);
  rmSync(pidFile, { force: true });
  return 'killed';
}

/** The last `lines` lines of a file ('' when it does not exist). */
export function tailFile(file: string, lines = 40): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  return text.split('\n').slice(-lines - 1).join('\n');
}

/** True when something accepts TCP connections on host:port. */
export function portAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Runs `fn` while holding a lock file (holding our pid), so two `up`/`down` runs at once, e.g.
 * from two test runs, take turns instead of both starting the same engine. A lock whose
 * holder is gone is taken over.
 */
export async function withLockFile<T>(lockFile: string, waitMs: number, fn: () => Promise<T>, onWait?: (holder: number) => void): Promise<T> {
  mkdirSync(dirname(lockFile), { recursive: true });
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readPidFile(lockFile);
      if (holder === undefined || !isAlive(holder)) {
        rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another infra command (pid ${holder}) still holds ${lockFile}`);
      if (!told) onWait?.(holder);
      told = true;
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}
