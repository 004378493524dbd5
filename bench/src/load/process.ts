import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../common/test/support/processes';

/**
 * Runs a load generator as its own process (`node --import tsx <entry> <spec.json>`), so the load it makes costs no
 * CPU in the process measured, and returns the JSON line it prints last. Fails with its stderr when it exits non-zero.
 */
export async function runLoadProcess<Spec, Result>(entry: string, spec: Spec, timeoutMs: number): Promise<Result> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chat4all-bench-'));
  const specFile = path.join(dir, 'spec.json');
  writeFileSync(specFile, JSON.stringify(spec));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', entry, specFile], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-8192)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    const last = stdout.trim().split('\n').pop() ?? '';
    if (code !== 0 || last === '') throw new Error(`load process ${path.basename(entry)} exited with ${code}:\n${stderr}`);
    return JSON.parse(last) as Result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The other side of `runLoadProcess`, as a load generator's entry: reads the spec file named by its first argument,
 * runs `body`, and prints the result as one JSON line on stdout; a failure goes to stderr with exit code 1.
 */
export function runAsLoadProcess<Spec, Result>(name: string, body: (spec: Spec) => Promise<Result>): void {
  const main = async () => {
    const file = process.argv[2];
    if (!file) throw new Error(`usage: ${name} <spec.json>`);
    const result = await body(JSON.parse(readFileSync(file, 'utf8')) as Spec);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  };
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
