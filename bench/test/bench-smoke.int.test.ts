import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../common/test/support/processes';
import type { BenchResult } from '../src/results';

/**
 * Every benchmark at its smoke size, run as `npm run bench` runs it (its own process on the fixed e2e ports, so under
 * `flock /work/e2e.lock` when others share the machine). Nothing here is timed: it proves each benchmark runs end to
 * end and writes a result with the fields the summary needs and no failed request. Smoke numbers mean nothing.
 */

const run = promisify(execFile);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'chat4all-bench-smoke-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function smoke(name: string): Promise<BenchResult> {
  await run(process.execPath, ['--import', 'tsx', 'bench/src/run.ts', name], {
    cwd: REPO_ROOT,
    env: { ...process.env, BENCH_SIZE: 'smoke', BENCH_RESULTS_DIR: dir },
    maxBuffer: 16 * 1024 * 1024,
  });
  const result = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as BenchResult;
  expect(result.benchmark).toBe(name);
  expect(result.size).toBe('smoke');
  expect(result.machine.cpus).toBeGreaterThan(0);
  expect(result.table.rows.length).toBeGreaterThan(0);
  for (const row of result.table.rows) expect(row).toHaveLength(result.table.columns.length);
  expect(Object.keys(result.ratios).length).toBeGreaterThan(0);
  for (const value of Object.values(result.ratios)) expect(Number.isFinite(value) && value > 0).toBe(true);
  expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain(`## ${name} (smoke`);
  return result;
}

interface HttpMeasurement {
  requests: number;
  rps: number;
  latencyMs: { p50: number; p99: number };
  errors: number;
  errorKinds: Record<string, number>;
  non2xx: number;
  badAnswers: number;
}

/**
 * A phase's failed requests, named so that a failure says which phase and of what kind; none expected. Requests the
 * open-model generator dropped unsent (due while its queue was full: the server stalled, as it may when the other jest
 * worker's suite takes both cores) are load, not failures; a smoke only asserts that they stay a minority.
 */
function failures(phase: string, m?: HttpMeasurement) {
  if (!m) return { phase, errors: 0, errorKinds: {}, non2xx: 0, badAnswers: 0, mostlySent: true };
  const { dropped = 0, ...errorKinds } = m.errorKinds;
  return { phase, errors: m.errors - dropped, errorKinds, non2xx: m.non2xx, badAnswers: m.badAnswers, mostlySent: dropped < m.requests };
}

test('gateway: all four targets answer the full page under load, with ratios to Hive Gateway and the ceiling', async () => {
  const result = await smoke('gateway');
  const { cpu, roundRps, ...measured } = result.measurements as Record<string, HttpMeasurement> & {
    cpu: Record<string, { msPerRequest: Record<string, number> }>;
    roundRps: Record<string, number[]>;
  };
  expect(Object.keys(measured).sort()).toEqual(['ceiling', 'hive', 'ours', 'plain']);
  // Every round of every target was measured, and each reports the CPU of the processes its requests ran through.
  expect(Object.keys(roundRps).sort()).toEqual(['ceiling', 'hive', 'ours', 'plain']);
  for (const name of ['ours', 'plain', 'hive']) expect(cpu[name]?.msPerRequest.gateway).toBeGreaterThan(0);
  expect(cpu.ceiling?.msPerRequest.messages).toBeGreaterThan(0);
  expect(cpu.ceiling?.msPerRequest.gateway).toBeUndefined();
  for (const [target, m] of Object.entries(measured)) {
    expect(m.requests).toBeGreaterThan(0);
    expect(m.rps).toBeGreaterThan(0);
    expect(m.latencyMs.p99).toBeGreaterThanOrEqual(m.latencyMs.p50);
    expect(failures(target, m)).toEqual(failures(target));
  }
  expect(Object.keys(result.ratios)).toEqual(expect.arrayContaining(['ours/hive rps', 'ours/ceiling rps', 'ours/plain p99']));
}, 300_000);

test('history: the newest page of the big conversation and of the one-page reference answer under load', async () => {
  const result = await smoke('history');
  type AtRate = HttpMeasurement & { share: number; rate: number; roundsP99: number[]; stealPercent?: number; generatorLagMs?: { p50: number; p99: number; max: number } };
  const measured = result.measurements as Record<'big' | 'small', HttpMeasurement> & { bigAtRates: AtRate[]; seeding: { reused: boolean } };
  const phases: [string, HttpMeasurement][] = [['big', measured.big], ['small', measured.small], ...measured.bigAtRates.map((r): [string, HttpMeasurement] => [`big at ${r.share}`, r])];
  for (const [phase, m] of phases) {
    expect(m.requests).toBeGreaterThan(0);
    expect(failures(phase, m)).toEqual(failures(phase));
  }
  expect(typeof measured.seeding.reused).toBe('boolean');
  // Each fixed-rate run is an open load at a share of the saturated RPS: every request it scheduled went out and was
  // answered or, due while the generator's queue was full, is counted as dropped (see failures()), and never faster
  // than the schedule. (Whether the machine answered them at that rate is what the run measures, not what this
  // checks: a 3 s saturated phase on a shared VM can overstate what the next phase gets.)
  expect(measured.bigAtRates.map((r) => r.share)).toEqual([0.1, 0.5]);
  const { durationSeconds } = result.parameters as { durationSeconds: number };
  for (const r of measured.bigAtRates) {
    expect(r.rate).toBe(Math.max(1, Math.round(measured.big.rps * r.share)));
    expect(r.requests + (r.errorKinds.dropped ?? 0)).toBe(Math.round(r.rate * durationSeconds));
    expect(r.rps).toBeLessThanOrEqual(r.rate * 1.1);
    expect(r.generatorLagMs!.p99).toBeGreaterThanOrEqual(r.generatorLagMs!.p50);
    expect(r.generatorLagMs!.max).toBeGreaterThanOrEqual(r.generatorLagMs!.p99);
    // The reported round is one of the rounds run (smoke: a single one), and the VM's steal during it was read.
    expect(r.roundsP99).toHaveLength(1);
    expect(r.roundsP99).toContain(r.latencyMs.p99);
    expect(r.stealPercent).toBeGreaterThanOrEqual(0);
  }
  expect(result.targets[0]?.value).toBe(measured.bigAtRates[1]!.latencyMs.p99);
  expect(result.machine.stealPercent).toBeGreaterThanOrEqual(0);
}, 300_000);

test('upload: the same generated file through the gateway and straight into S3, with the services memory sampled', async () => {
  const result = await smoke('upload');
  type Upload = { bytes: number; seconds: number; mibPerSecond: number; sha256: string };
  const measured = result.measurements as { direct: Upload; gateway: Upload; memory: Record<'gateway' | 'files', { baselineBytes: number; peakBytes: number; samples: number }> };
  expect(measured.gateway.bytes).toBe(measured.direct.bytes);
  for (const upload of [measured.direct, measured.gateway]) {
    expect(upload.mibPerSecond).toBeGreaterThan(0);
    expect(upload.sha256).toMatch(/^[0-9a-f]{64}$/);
  }
  for (const name of ['gateway', 'files'] as const) {
    expect(measured.memory[name].samples).toBeGreaterThan(1);
    expect(measured.memory[name].peakBytes).toBeGreaterThanOrEqual(measured.memory[name].baselineBytes);
  }
}, 300_000);

test('pipeline: constant-arrival steps reach READ with transition latencies, next to the raw engine rates', async () => {
  const result = await smoke('pipeline');
  type Step = {
    rate: number;
    keptUp: boolean;
    sends: { scheduled: number; ok: number };
    readShare: number;
    endToEnd: { count: number; p50: number; p99: number };
    cpu: { msPerMessage: Record<string, number>; idle: { wallSeconds: number; seconds: Record<string, number> } };
  };
  const measured = result.measurements as { sustainedPerSecond: number; raw: Record<string, number>; backlog: { before: number; after: number }; steps: Step[] };
  // Whatever waited in the pipeline's groups before the benchmark went through before the first step.
  expect(measured.backlog.after).toBe(0);
  expect(measured.steps.length).toBeGreaterThan(0);
  const first = measured.steps[0]!;
  // The smoke rates are tiny: the first step must keep up, every sent message going SENT → DELIVERED → READ.
  expect(first.keptUp).toBe(true);
  expect(first.sends.ok).toBe(first.sends.scheduled);
  expect(first.endToEnd.count).toBe(first.sends.ok);
  expect(first.endToEnd.p99).toBeGreaterThanOrEqual(first.endToEnd.p50);
  expect(measured.sustainedPerSecond).toBeGreaterThanOrEqual(first.rate);
  // Every process on the path worked for the step's messages.
  for (const name of ['gateway', 'messages', 'router', 'whatsapp', 'whatsappSimulator', 'cassandra', 'kafka']) expect(first.cpu.msPerMessage[name]).toBeGreaterThan(0);
  // What the same processes used with no load just before the step was read too.
  expect(first.cpu.idle.wallSeconds).toBeGreaterThan(0);
  for (const name of ['gateway', 'router', 'cassandra', 'kafka']) expect(first.cpu.idle.seconds[name]).toBeGreaterThanOrEqual(0);
  for (const key of ['kafkaSinglePerSecond', 'kafkaBatchedPerSecond', 'cassandraPerSecond']) expect(measured.raw[key]).toBeGreaterThan(0);
}, 300_000);

test('subscriptions: every subscriber of the gateway, the bare reference, Hive Gateway and the fan-out floor gets every event, with latency and memory; the gateway and the floor overloaded too', async () => {
  const result = await smoke('subscriptions');
  type Phase = {
    events: number;
    expected: number;
    report: { deliveries: number; errors: number; fromEarlier: number; closed: Record<string, number>; latencyMs: { p50: number; p99: number } };
    deliveriesPerSecond: number;
  };
  type Count = {
    subscribers: number;
    subscribed: number;
    steady: Phase;
    load: Phase & { peakRssBytes: number };
    overload?: Phase & { peakRssBytes: number; mostQueued: number | null };
  };
  const measured = result.measurements as { gateway: Count[]; bare: Count[]; hive: Count[]; floor: Count[] };
  // Our gateway's and Hive's answers count only with the sender's displayName from the users subgraph in them.
  for (const [server, counts] of Object.entries({ gateway: measured.gateway, bare: measured.bare, hive: measured.hive, floor: measured.floor })) {
    expect(counts.map((c) => c.subscribers)).toEqual([20, 50]);
    for (const c of counts) {
      expect(c.subscribed).toBe(c.subscribers);
      // Our gateway and the floor get events due faster than they write them; the others are overloaded at load already.
      const overloaded = server === 'gateway' || server === 'floor';
      expect(c.overload !== undefined).toBe(overloaded);
      for (const [name, p] of Object.entries({ steady: c.steady, load: c.load, ...(c.overload && { overload: c.overload }) })) {
        // Smoke rates are far below any limit: nothing may be lost or fail. Named, with what else the report says.
        const { deliveries, errors, fromEarlier, closed } = p.report;
        expect({ server, subscribers: c.subscribers, phase: name, deliveries, errors, fromEarlier, closed }).toEqual({
          server,
          subscribers: c.subscribers,
          phase: name,
          deliveries: p.expected,
          errors: 0,
          fromEarlier,
          closed: {},
        });
        expect(p.report.latencyMs.p99).toBeGreaterThanOrEqual(p.report.latencyMs.p50);
        expect(p.deliveriesPerSecond).toBeGreaterThan(0);
      }
      expect(c.load.peakRssBytes).toBeGreaterThan(0);
      if (c.overload) {
        expect(c.overload.peakRssBytes).toBeGreaterThan(0);
        // Only our gateway counts what its subscription queues hold (its /metrics); it held at least nothing, at most all.
        if (server === 'gateway') expect(c.overload.mostQueued).toBeGreaterThanOrEqual(0);
        if (server === 'gateway') expect(c.overload.mostQueued).toBeLessThanOrEqual(c.overload.expected);
        if (server === 'floor') expect(c.overload.mostQueued).toBeNull();
      }
    }
  }
  expect(Object.keys(result.ratios)).toEqual(
    expect.arrayContaining([
      '50 subscribers: gateway/bare deliveries/s under load',
      '50 subscribers: gateway/Hive deliveries/s under load',
      '50 subscribers: gateway/floor p99 at 200/s',
      '50 subscribers: gateway/floor deliveries/s overloaded',
    ]),
  );
}, 420_000);
