import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { serviceNodeOptions, type Env } from '@chat4all/common';
import { repositoryRoot } from '../../support/codegen';

/** Where the processes of the e2e stack and the benchmarks write their output, one file each. */
export const LOG_DIR = path.join(path.resolve(repositoryRoot, process.env.CHAT4ALL_LOCAL_DIR ?? '.local'), 'logs/e2e');

/** A service process started by `launch`. */
export interface Running<Name extends string = string> {
  name: Name;
  child: ChildProcess;
  exited: Promise<number | null>;
  logFile: string;
}

// Should the test process end without stopping what it launched (a crash, a killed jest worker), nothing outlives it.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * E2E_CPU_PROF_DIR: each process started for the e2e stack or a benchmark writes V8 CPU profiles (one per thread) into
 * <dir>/<name> when it stops (for profiling a benchmark's stack).
 */
export function cpuProfileArgs(name: string): string[] {
  const dir = process.env.E2E_CPU_PROF_DIR;
  return dir ? ['--cpu-prof', '--cpu-prof-dir', path.join(dir, name)] : [];
}

/**
 * One service as `npm start` runs it: its own node process on `entry` (relative to the repository) with the services'
 * Node flags, listening on `port`, output written to <LOG_DIR>/<name>.log.
 */
export function launch<Name extends string>(name: Name, entry: string, port: number, env: Env): Running<Name> {
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = path.join(LOG_DIR, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'w' });
  const child = spawn(process.execPath, [...cpuProfileArgs(name), '--import', 'tsx', entry], {
    cwd: repositoryRoot,
    env: { ...process.env, ...env, NODE_OPTIONS: serviceNodeOptions(process.env.NODE_OPTIONS), PORT: String(port) },
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
