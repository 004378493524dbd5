import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * CPU time of the processes a benchmark runs on, from /proc/<pid>/stat (utime + stime, children not included): on a
 * 2-core machine every service and engine shares the same cores, so "where did the CPU go per request" says what
 * limits a rate better than any one process's profile.
 */

/** Clock ticks per second of /proc's utime and stime (USER_HZ): 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

/** utime + stime of `pid` in seconds, or undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, utime field 14, stime field 15 (1-based) → indexes 11 and 12 here.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** The machine's CPU time since boot, all cores, in clock ticks by kind, from /proc/stat's first line. */
export interface MachineTicks {
  /** user + nice + system + irq + softirq + steal (guest time is already counted in user). */
  busy: number;
  /** Time the hypervisor gave to other guests while ours wanted to run. */
  steal: number;
  /** Everything, idle and iowait included. */
  total: number;
}

export function machineTicks(): MachineTicks {
  const [, user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy, steal: steal!, total: busy + idle! + iowait! };
}

/** Busy CPU seconds of the whole machine since boot (all cores; idle and iowait left out). */
export function machineBusySeconds(): number {
  return machineTicks().busy / TICKS_PER_SECOND;
}

/** PostgreSQL's processes (the server and its backends) when it runs on this machine: engines here use the system one. */
export function postgresPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The local engines' processes, from the pid files `npm run infra:up` writes (those running now). */
export function enginePids(localDir = process.env.CHAT4ALL_LOCAL_DIR ?? '.local'): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const engine of ['kafka', 'cassandra', 's3proxy']) {
    const file = path.resolve(localDir, 'run', `${engine}.pid`);
    if (!existsSync(file)) continue;
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && cpuSeconds(pid) !== undefined) pids[engine] = pid;
  }
  return pids;
}

export interface CpuWindow {
  /** Wall seconds between the two readings. */
  wallSeconds: number;
  /** CPU seconds each named process (or group of processes) used in the window. */
  seconds: Record<string, number>;
  /** Their sum over wall seconds: how many cores the named processes kept busy. */
  cores: number;
  /** How many cores the whole machine kept busy (everything: the load generator, the OS, other processes). */
  machineCores: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Starts a window over `pids` (name → a pid or a group of pids); `end()` reads them again. A process gone by then
 * counts what it had used when the window started (0 in the window).
 */
export function startCpuWindow(pids: Record<string, number | readonly number[] | undefined>): { end(): CpuWindow } {
  // Several names may share one process (the embedded platform): count it once, under the first name.
  const seen = new Set<number>();
  const groups = Object.entries(pids).map(([name, value]) => {
    const all = value === undefined ? [] : typeof value === 'number' ? [value] : value;
    return { name, pids: all.filter((pid) => !seen.has(pid) && (seen.add(pid), true)) };
  });
  const used = (group: { pids: number[] }, fallback: number[]) => group.pids.map((pid, i) => cpuSeconds(pid) ?? fallback[i] ?? 0);
  const startedAt = process.hrtime.bigint();
  const machineBefore = machineBusySeconds();
  const before = groups.map((group) => used(group, []));
  return {
    end() {
      const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      const seconds: Record<string, number> = {};
      let total = 0;
      groups.forEach((group, g) => {
        if (group.pids.length === 0) return;
        const after = used(group, before[g]!);
        const delta = after.reduce((sum, value, i) => sum + Math.max(0, value - before[g]![i]!), 0);
        seconds[group.name] = round2(delta);
        total += delta;
      });
      return {
        wallSeconds: round2(wallSeconds),
        seconds,
        cores: round2(total / wallSeconds),
        machineCores: round2((machineBusySeconds() - machineBefore) / wallSeconds),
      };
    },
  };
}

/** CPU milliseconds per unit of work (a request, a message) of each process in a window, largest first. */
export function cpuMsPer(window: CpuWindow, units: number): Record<string, number> {
  const per = Object.entries(window.seconds)
    .map(([name, seconds]) => [name, units > 0 ? Math.round(((seconds * 1000) / units) * 100) / 100 : 0] as const)
    .sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(per);
}

export interface QuietOptions {
  /** The machine counts as quiet when it keeps fewer cores than this busy over one window. */
  maxMachineCores: number;
  windowMs: number;
  /** Gives up after this long and answers the last window (a machine that never quiets is reported, not hidden). */
  timeoutMs: number;
}

const QUIET: QuietOptions = { maxMachineCores: 0.3, windowMs: 2_000, timeoutMs: 60_000 };

/**
 * Waits until the machine is quiet (the work left over from a previous phase, such as Cassandra's flushes and
 * compactions after a burst of inserts, would otherwise be charged to the next one), then answers the quiet window:
 * what `pids` use with no load (their fixed cost: timers, polls, heartbeats).
 */
export async function waitForQuiet(pids: Record<string, number | readonly number[] | undefined>, options: Partial<QuietOptions> = {}): Promise<CpuWindow & { quiet: boolean; waitedSeconds: number }> {
  const o = { ...QUIET, ...options };
  const started = Date.now();
  for (;;) {
    const window = startCpuWindow(pids);
    await new Promise((resolve) => setTimeout(resolve, o.windowMs));
    const reading = window.end();
    const quiet = reading.machineCores < o.maxMachineCores;
    if (quiet || Date.now() - started >= o.timeoutMs) return { ...reading, quiet, waitedSeconds: round2((Date.now() - started) / 1000) };
  }
}
