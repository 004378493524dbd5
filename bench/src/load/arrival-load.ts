import { Pool } from 'undici';
import { authHeaders } from './auth';
import { countErrorKind } from './error-kinds';
import { runAsLoadProcess } from './process';
import { dueLatencyHistogram, runArrivals } from './schedule';
import type { ArrivalLoadSpec, HttpLoadResult } from './spec';

/**
 * The open-model load generator, as its own process (`node --import tsx arrival-load.ts <spec.json>`): POSTs the
 * spec's bodies in turn at a constant arrival rate (schedule.ts) over an undici pool, a warm-up, then the measured
 * window; latency from each request's due time, so a server that falls behind cannot hide it by slowing the load.
 * Prints one JSON line (HttpLoadResult) on stdout.
 */

/** Requests due while every connection is busy wait in the pool's queue, up to this many per connection. */
const MAX_WAITING_PER_CONNECTION = 64;

async function run(spec: ArrivalLoadSpec, pool: Pool, durationSeconds: number): Promise<HttpLoadResult> {
  const url = new URL(spec.url);
  const headersNow = authHeaders(spec.auth);
  const histogram = dueLatencyHistogram();
  const lag = dueLatencyHistogram();
  let requests = 0;
  let errors = 0;
  const errorKinds: Record<string, number> = {};
  let non2xx = 0;
  let badAnswers = 0;
  let firstBadAnswer: string | undefined;
  let lastAnswer = 0;
  const send = async (i: number, due: number) => {
    lag.recordValue(Math.max(1, performance.now() - due));
    try {
      const response = await pool.request({
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headersNow() },
        body: spec.bodies[i % spec.bodies.length],
      });
      const body = await response.body.text();
      requests++;
      histogram.recordValue(Math.max(1, performance.now() - due));
      if (response.statusCode < 200 || response.statusCode >= 300) non2xx++;
      else if (body.includes('"errors"') || !body.includes(spec.expectInBody)) {
        badAnswers++;
        firstBadAnswer ??= body.slice(0, 500);
      }
    } catch (error) {
      errors++;
      countErrorKind(errorKinds, error);
    } finally {
      lastAnswer = performance.now();
    }
  };
  const { start, dropped } = await runArrivals({ rate: spec.rate, total: Math.round(spec.rate * durationSeconds), maxInFlight: spec.connections * MAX_WAITING_PER_CONNECTION }, send);
  // The schedule's own window at least: N requests due over D seconds span D - 1/rate, which would overstate the rate.
  const seconds = Math.max(lastAnswer - start, durationSeconds * 1000) / 1000;
  return {
    requests,
    durationSeconds: seconds,
    rps: requests / seconds,
    latencyMs: {
      p50: histogram.getValueAtPercentile(50),
      p90: histogram.getValueAtPercentile(90),
      p99: histogram.getValueAtPercentile(99),
      max: histogram.maxValue,
      mean: histogram.mean,
    },
    generatorLagMs: { p50: lag.getValueAtPercentile(50), p99: lag.getValueAtPercentile(99), max: lag.maxValue },
    errors: errors + dropped,
    errorKinds: dropped > 0 ? { ...errorKinds, dropped } : errorKinds,
    non2xx,
    badAnswers,
    ...(firstBadAnswer === undefined ? {} : { firstBadAnswer }),
  };
}

runAsLoadProcess<ArrivalLoadSpec, HttpLoadResult>('arrival-load.ts', async (spec) => {
  const pool = new Pool(new URL(spec.url).origin, { connections: spec.connections, keepAliveTimeout: 30_000 });
  try {
    if (spec.warmupSeconds > 0) await run(spec, pool, spec.warmupSeconds);
    return await run(spec, pool, spec.durationSeconds);
  } finally {
    await pool.close();
  }
});
