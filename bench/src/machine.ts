import os from 'node:os';
import { machineTicks, type MachineTicks } from './cpu';
import { processRoundTripUs } from './round-trip';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  loadAverage1m: number;
  os: string;
  node: string;
  /**
   * Share of the CPU time during the run (%) that the hypervisor gave to other guests while ours wanted to run (steal,
   * from /proc/stat): on a shared VM a run with high steal measured the neighbours too. Absent where not readable.
   */
  stealPercent?: number;
  /**
   * A loopback TCP round trip between two Node processes at the start, µs (`round-trip.ts`): what waking another
   * process costs here, which the pipeline pays at every hop. Absent where the probe could not run.
   */
  processRoundTripUs?: number;
}

/** The machine's CPU ticks now, or undefined where /proc/stat is not readable. */
export function cpuTicks(): MachineTicks | undefined {
  try {
    return machineTicks();
  } catch {
    return undefined;
  }
}

/** Steal between two readings, in percent of the CPU time that passed (one decimal). */
export function stealPercent(before: MachineTicks | undefined, after: MachineTicks | undefined): number | undefined {
  if (!before || !after || after.total <= before.total) return undefined;
  return Math.round((1000 * (after.steal - before.steal)) / (after.total - before.total)) / 10;
}

/** The machine a result was measured on: numbers from different machines are not comparable. */
export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    processRoundTripUs: processRoundTripUs(),
  };
}
