import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Engine jars come from Maven Central through a POM per engine. A stamp file named after the
 * POM's hash marks a finished copy, so `fetch` is free when nothing changed and starts over
 * (old jars removed) when the POM did, e.g. after a version bump.
 */
export function stampName(pomText: string): string {
  return `.fetched-${createHash('sha256').update(pomText).digest('hex').slice(0, 16)}`;
}

export type CommandRunner = (command: string, args: string[]) => Promise<void>;

/** Runs a command quietly; its output is shown only when it fails (Maven -q still prints colour codes). */
export const runCommand: CommandRunner = (command, args) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}\n${output.trim()}`)),
    );
  });

export interface FetchTarget {
  pom: string;
  /** .local/engines/<name>: holds lib/ and the stamp. */
  engineDir: string;
}

export function libDir(target: FetchTarget): string {
  return join(target.engineDir, 'lib');
}

export function isFetched(target: FetchTarget): boolean {
  const stamp = join(target.engineDir, stampName(readFileSync(target.pom, 'utf8')));
  const lib = libDir(target);
  return existsSync(stamp) && existsSync(lib) && readdirSync(lib).some((f) => f.endsWith('.jar'));
}

/** Copies the POM's dependencies into lib/ unless the stamp says they are there. Returns whether it ran Maven. */
export async function fetchJars(target: FetchTarget, run: CommandRunner = runCommand): Promise<boolean> {
  if (isFetched(target)) return false;
  const lib = libDir(target);
  // Stale stamps and jars from another POM version must not mix into the classpath.
  rmSync(lib, { recursive: true, force: true });
  mkdirSync(target.engineDir, { recursive: true });
  for (const f of readdirSync(target.engineDir)) if (f.startsWith('.fetched-')) rmSync(join(target.engineDir, f));
  await run('mvn', ['-q', '-B', '-f', target.pom, 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`]);
  writeFileSync(join(target.engineDir, stampName(readFileSync(target.pom, 'utf8'))), `${new Date().toISOString()}\n`);
  return true;
}
