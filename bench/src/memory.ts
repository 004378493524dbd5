import { readFileSync } from 'node:fs';

/** Resident memory of a process from /proc/<pid>/status: now (VmRSS) and its peak since it started (VmHWM). */
export interface ProcessMemory {
  rssBytes: number;
  hwmBytes: number;
}

function kibField(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc status`);
  return Number(match[1]) * 1024;
}

export function readMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssBytes: kibField(status, 'VmRSS'), hwmBytes: kibField(status, 'VmHWM') };
}

/**
 * The smallest VmRSS of `pid` over `ms` (sampled every 100 ms): closer to what the process holds than one sample,
 * which may catch it just before a garbage collection.
 */
export async function settledRss(pid: number, ms = 1500): Promise<number> {
  let least = readMemory(pid).rssBytes;
  for (let waited = 0; waited < ms; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    least = Math.min(least, readMemory(pid).rssBytes);
  }
  return least;
}

export interface MemoryPeak {
  /** VmRSS when sampling started. */
  baselineBytes: number;
  /** The largest VmRSS seen while sampling. */
  peakBytes: number;
  /** peak − baseline: what the work under measurement added. */
  growthBytes: number;
  /** VmHWM at the end (the process's peak since it started, which may predate the sampling). */
  hwmBytes: number;
  samples: number;
}

/** Samples the VmRSS of some processes every `everyMs` until `stop`, keeping each one's baseline and peak. */
export class MemorySampler {
  private readonly state = new Map<string, { pid: number; baseline: number; peak: number; samples: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(pids: Record<string, number>, everyMs = 100) {
    for (const [name, pid] of Object.entries(pids)) {
      const { rssBytes } = readMemory(pid);
      this.state.set(name, { pid, baseline: rssBytes, peak: rssBytes, samples: 1 });
    }
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    for (const entry of this.state.values()) {
      try {
        entry.peak = Math.max(entry.peak, readMemory(entry.pid).rssBytes);
        entry.samples++;
      } catch {
        // the process has gone; its peak so far stands
      }
    }
  }

  /** Ends the sampling; calling it again answers the same peaks (plus one last sample). */
  stop(): Record<string, MemoryPeak> {
    clearInterval(this.timer);
    this.sample();
    const peaks: Record<string, MemoryPeak> = {};
    for (const [name, entry] of this.state) {
      let hwmBytes = entry.peak;
      try {
        hwmBytes = readMemory(entry.pid).hwmBytes;
      } catch {
        // gone: report the sampled peak
      }
      peaks[name] = { baselineBytes: entry.baseline, peakBytes: entry.peak, growthBytes: entry.peak - entry.baseline, hwmBytes, samples: entry.samples };
    }
    return peaks;
  }
}
