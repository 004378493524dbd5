import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../common/test/support/processes';
import { cpuProfileArgs } from '../../../test/e2e/support/launch';
import type { Command, DeliveryReport, Reply, SubscribersSpec } from './protocol';

/** The parent's handle on a subscriber process (subscribers.ts): start it, reset and read its counts, close it. */
export class Subscribers {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly ready: Extract<Reply, { type: 'ready' }>,
  ) {}

  static async start(spec: SubscribersSpec, timeoutMs: number): Promise<Subscribers> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chat4all-bench-'));
    writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
    const child = spawn(process.execPath, [...cpuProfileArgs('subscribers'), '--import', 'tsx', path.join(REPO_ROOT, 'bench/src/subscriptions/subscribers.ts'), path.join(dir, 'spec.json')], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      const ready = await reply(child, 'ready', timeoutMs);
      return new Subscribers(child, dir, ready as Extract<Reply, { type: 'ready' }>);
    } catch (error) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Zeroes the counts; resolves once the subscriber process has done so, so what is published next counts. */
  async reset(): Promise<void> {
    const answer = reply(this.child, 'reset', 30_000);
    this.command({ type: 'reset', at: Date.now() });
    await answer;
  }

  async report(): Promise<DeliveryReport> {
    const answer = reply(this.child, 'report', 30_000);
    this.command({ type: 'report' });
    const { type: _type, ...report } = (await answer) as Extract<Reply, { type: 'report' }>;
    return report;
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    if (this.child.exitCode === null) this.command({ type: 'close' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private command(command: Command): void {
    this.child.send(command);
  }
}

function reply(child: ChildProcess, type: Reply['type'], timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`the subscriber process sent no ${type} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: Reply) => message.type === type && done(undefined, message);
    const onExit = (code: number | null) => done(new Error(`the subscriber process exited with ${code} before ${type}`));
    function done(error?: Error, message?: Reply) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message!);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
