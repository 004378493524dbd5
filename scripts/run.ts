import { spawn } from 'node:child_process';

/** Runs a command with inherited stdio; resolves with its exit code (a signal counts as failure). */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

export async function step(title: string, command: string, args: string[]): Promise<void> {
  const started = Date.now();
  process.stdout.write(`\n== ${title}\n`);
  const code = await run(command, args);
  if (code !== 0) {
    process.stderr.write(`${title} failed (exit ${code})\n`);
    process.exit(code);
  }
  process.stdout.write(`== ${title}: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
