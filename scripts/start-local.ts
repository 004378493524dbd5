// `npm run start:local`: local engines up (idempotent), migrations, then every service as a child process.
// Ctrl-C (or SIGTERM) forwards SIGTERM to each service, which drains and exits on its own.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { serviceNodeOptions } from '@chat4all/common';
import { step } from './run';
import { services } from './services';

const root = path.resolve(__dirname, '..');

async function waitReady(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

async function main(): Promise<void> {
  await step('local engines (npm run infra:up)', 'npm', ['run', '--silent', 'infra:up']);
  await step('migrations (npm run migrate)', 'npm', ['run', '--silent', 'migrate']);

  const children: ChildProcess[] = [];
  let stopping = false;
  const stopAll = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping services\n`);
    for (const child of children) child.kill('SIGTERM');
  };
  process.on('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));

  const started = Date.now();
  for (const service of services) {
    // One node process per service (no tsx wrapper process), so SIGTERM reaches its graceful shutdown directly.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, service.entry)], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: serviceNodeOptions(process.env.NODE_OPTIONS), PORT: String(service.port) },
      stdio: 'inherit',
    });
    child.once('exit', (code, signal) => {
      if (!stopping) {
        process.stderr.write(`${service.name} exited (${signal ?? code}); stopping the others\n`);
        process.exitCode = 1;
        stopAll('SIGTERM');
      }
    });
    children.push(child);
  }
  const ready = await Promise.all(services.map((s) => waitReady(s.port, 60_000)));
  const notReady = services.filter((_, i) => !ready[i]).map((s) => s.name);
  if (notReady.length > 0) {
    process.stderr.write(`not ready after 60 s: ${notReady.join(', ')}\n`);
    process.exitCode = 1;
    stopAll('SIGTERM');
  } else if (!stopping) {
    process.stdout.write(
      `\nChat4All is up in ${((Date.now() - started) / 1000).toFixed(1)} s: GraphQL at http://127.0.0.1:4000/graphql, playground at http://127.0.0.1:4000/playground (Ctrl-C stops everything)\n`,
    );
  }
  await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
}

void main();
