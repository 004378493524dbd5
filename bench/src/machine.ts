import os from 'node:os';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  loadAverage1m: number;
  os: string;
  node: string;
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
  };
}
