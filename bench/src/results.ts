import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../common/test/support/processes';
import { cpuTicks, describeMachine, stealPercent, type Machine } from './machine';
import type { BenchSize } from './size';

/** A goal from issue 7 and whether this run met it. */
export interface TargetCheck {
  name: string;
  /** In words, e.g. "≥ 1.5". */
  goal: string;
  value: number | null;
  met: boolean | null;
}

/** A table for the summary: one row per thing measured. */
export interface Table {
  columns: string[];
  rows: (string | number)[][];
}

/** What every benchmark writes as bench/results/<benchmark>.json. */
export interface BenchResult {
  benchmark: string;
  size: BenchSize;
  startedAt: string;
  durationSeconds: number;
  machine: Machine;
  parameters: Record<string, unknown>;
  /** Benchmark-specific numbers, keyed by what was measured. */
  measurements: Record<string, unknown>;
  /** Each against the reference measured in the same run (named in the key, e.g. `ours/hive rps`). */
  ratios: Record<string, number>;
  targets: TargetCheck[];
  table: Table;
  notes: string[];
}

/** Where results go: BENCH_RESULTS_DIR, else bench/results (full runs, committed) or bench/results/smoke (ignored). */
export function resultsDir(size: BenchSize, source: NodeJS.ProcessEnv = process.env): string {
  if (source.BENCH_RESULTS_DIR) return path.resolve(source.BENCH_RESULTS_DIR);
  return path.join(REPO_ROOT, 'bench/results', size === 'smoke' ? 'smoke' : '');
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** The item whose `key` is the median of `items` (the lower middle one for an even count): a round that really ran. */
export function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  if (items.length === 0) throw new Error('no items to take a median of');
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** a / b, or 0 when b is 0 (a reference that measured nothing). */
export function ratio(a: number, b: number): number {
  return b === 0 ? 0 : round(a / b, 3);
}

export function atLeast(name: string, value: number | null, goal: number, unit = ''): TargetCheck {
  return { name, goal: `≥ ${goal}${unit}`, value, met: value === null ? null : value >= goal };
}

export function atMost(name: string, value: number | null, goal: number, unit = ''): TargetCheck {
  return { name, goal: `≤ ${goal}${unit}`, value, met: value === null ? null : value <= goal };
}

/**
 * Call when a benchmark starts (the machine's load average is read then); the function it returns completes the
 * result with the run's name, size, start time, duration and machine.
 */
export function startResult(benchmark: string, size: BenchSize): (rest: Omit<BenchResult, 'benchmark' | 'size' | 'startedAt' | 'durationSeconds' | 'machine'>) => BenchResult {
  const startedAt = new Date();
  const machine = describeMachine();
  const ticks = cpuTicks();
  return (rest) => {
    const steal = stealPercent(ticks, cpuTicks());
    return {
      benchmark,
      size,
      startedAt: startedAt.toISOString(),
      durationSeconds: round((Date.now() - startedAt.getTime()) / 1000, 1),
      machine: steal === undefined ? machine : { ...machine, stealPercent: steal },
      ...rest,
    };
  };
}

export function writeResult(result: BenchResult, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${result.benchmark}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  writeSummary(dir);
  return file;
}

function markdownTable(table: Table): string[] {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(table.columns), line(table.columns.map(() => '---')), ...table.rows.map(line)];
}

const ORDER = ['pipeline', 'gateway', 'subscriptions', 'upload', 'history'];

/** summary.md beside the JSON files: one section per benchmark result found there. */
export function writeSummary(dir: string): void {
  const results = readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.tmp.json'))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as BenchResult)
    .sort((a, b) => ORDER.indexOf(a.benchmark) - ORDER.indexOf(b.benchmark));
  const out: string[] = ['# Benchmark results', '', 'Written by `npm run bench` (see [bench/README.md](../README.md)); every JSON file here has the full numbers.', ''];
  for (const r of results) {
    const m = r.machine;
    out.push(`## ${r.benchmark} (${r.size}, ${r.startedAt}, ${r.durationSeconds} s)`, '');
    out.push(`Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, load average ${m.loadAverage1m} at start${m.processRoundTripUs === undefined ? '' : `, a TCP round trip between two processes ${m.processRoundTripUs} µs`}${m.stealPercent === undefined ? '' : `, hypervisor steal ${m.stealPercent}% of the CPU time during the run`}.`, '');
    out.push(...markdownTable(r.table), '');
    if (Object.keys(r.ratios).length > 0) {
      out.push('Ratios (same run): ' + Object.entries(r.ratios).map(([k, v]) => `${k} = ${v}`).join('; ') + '.', '');
    }
    if (r.targets.length > 0) {
      out.push(...markdownTable({
        columns: ['target', 'goal', 'measured', 'met'],
        rows: r.targets.map((t) => [t.name, t.goal, t.value ?? 'n/a', t.met === null ? 'n/a' : t.met ? 'yes' : 'no']),
      }), '');
    }
    for (const note of r.notes) out.push(`- ${note}`);
    if (r.notes.length > 0) out.push('');
  }
  writeFileSync(path.join(dir, 'summary.md'), out.join('\n'));
}
