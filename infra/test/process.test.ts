import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runningPid, sleep, spawnDetached, stopProcess, tailFile, withLockFile, withTimerSlack } from '../src/process';

// Real child processes (node; '--' keeps the marker from being read as a node option), so the pid, marker and signal handling are exercised for real.
function start(dir: string, script: string, marker: string) {
  const spec = { command: process.execPath, args: ['-e', script, '--', marker], cwd: dir, logFile: join(dir, 'x.log'), pidFile: join(dir, 'x.pid'), marker };
  return { spec, pid: spawnDetached(spec) };
}

async function waitForLog(file: string, text: string): Promise<void> {
  for (let i = 0; i < 100 && !(existsSync(file) && readFileSync(file, 'utf8').includes(text)); i++) await sleep(50);
}

describe('detached processes', () => {
  it('writes the pid file and output to the log, and stops with SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'infra-proc-'));
    const marker = `--infra-test-${process.pid}-a`;
    const { spec, pid } = start(dir, "console.log('started'); setInterval(() => {}, 1000)", marker);
    expect(Number(readFileSync(spec.pidFile, 'utf8'))).toBe(pid);
    await waitForLog(spec.logFile, 'started');
    expect(tailFile(spec.logFile)).toContain('started');
    expect(runningPid(spec.pidFile, marker)).toBe(pid);
    await expect(stopProcess(spec.pidFile, marker, 5000)).resolves.toBe('stopped');
    expect(existsSync(spec.pidFile)).toBe(false);
    expect(runningPid(spec.pidFile, marker)).toBeUndefined();
  });

  it('kills with SIGKILL a process that ignores SIGTERM past the timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'infra-proc-'));
    const marker = `--infra-test-${process.pid}-b`;
    const { spec } = start(dir, "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)", marker);
    await waitForLog(spec.logFile, 'ready');
    await expect(stopProcess(spec.pidFile, marker, 300)).resolves.toBe('killed');
    expect(runningPid(spec.pidFile, marker)).toBeUndefined();
  });

  it('treats a pid file whose process does not carry the marker as stale', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'infra-proc-'));
    const marker = `--infra-test-${process.pid}-c`;
    const { spec, pid } = start(dir, 'setInterval(() => {}, 1000)', marker);
    try {
      expect(runningPid(spec.pidFile, 'some-other-marker')).toBeUndefined();
      expect(existsSync(spec.pidFile)).toBe(false);
      await expect(stopProcess(spec.pidFile, marker, 100)).resolves.toBe('not running');
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });

  it('starts a command with the timer slack asked for, in place of the shell (same pid, marker found)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'infra-proc-'));
    const marker = `--infra-test-${process.pid}-slack`;
    const script = "console.log(`pid ${process.pid} slack ${require('fs').readFileSync('/proc/self/timerslack_ns', 'utf8').trim()}`); setInterval(() => {}, 1000)";
    const launch = withTimerSlack(250_000, process.execPath, ['-e', script, '--', marker]);
    const spec = { ...launch, cwd: dir, logFile: join(dir, 'x.log'), pidFile: join(dir, 'x.pid'), marker };
    const pid = spawnDetached(spec);
    try {
      await waitForLog(spec.logFile, 'slack');
      expect(readFileSync(spec.logFile, 'utf8')).toContain(`pid ${pid} slack 250000`);
      expect(runningPid(spec.pidFile, marker)).toBe(pid);
    } finally {
      await stopProcess(spec.pidFile, marker, 5000);
    }
    // Not inherited from this process: the slack came from the launch.
    expect(readFileSync('/proc/self/timerslack_ns', 'utf8').trim()).not.toBe('250000');
    expect(() => withTimerSlack(0, 'java', [])).toThrow(/positive number of nanoseconds/);
  });

  it('moves the previous log aside when starting again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'infra-proc-'));
    const marker = `--infra-test-${process.pid}-d`;
    const first = start(dir, "console.log('first run')", marker);
    await waitForLog(first.spec.logFile, 'first run');
    const second = start(dir, "console.log('second run')", marker);
    await waitForLog(second.spec.logFile, 'second run');
    expect(readFileSync(`${second.spec.logFile}.1`, 'utf8')).toContain('first run');
    expect(readFileSync(second.spec.logFile, 'utf8')).not.toContain('first run');
  });
});

describe('withLockFile', () => {
  it('runs one holder at a time and releases the lock afterwards', async () => {
    const lock = join(mkdtempSync(join(tmpdir(), 'infra-lock-')), 'run', 'x.lock');
    const events: string[] = [];
    const task = (name: string) => async () => {
      events.push(`${name} in`);
      await sleep(100);
      events.push(`${name} out`);
      return name;
    };
    // Two holders in one process share a pid, so the second waits on the file, not on the pid check.
    const results = await Promise.all([withLockFile(lock, 5000, task('a')), sleep(10).then(() => withLockFile(lock, 5000, task('b')))]);
    expect(results).toEqual(['a', 'b']);
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out']);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over a lock whose holder is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'infra-lock-'));
    const lock = join(dir, 'x.lock');
    writeFileSync(lock, '999999999\n');
    await expect(withLockFile(lock, 1000, async () => 'ran')).resolves.toBe('ran');
  });

  it('gives up with the holder named when the wait runs out', async () => {
    const lock = join(mkdtempSync(join(tmpdir(), 'infra-lock-')), 'x.lock');
    writeFileSync(lock, `${process.pid}\n`);
    await expect(withLockFile(lock, 300, async () => 'ran')).rejects.toThrow(`another infra command (pid ${process.pid}) still holds`);
  });
});
