import autocannon from 'autocannon';
import { authHeaders } from './auth';
import { countErrorKind } from './error-kinds';
import { runAsLoadProcess } from './process';
import type { HttpLoadResult, HttpLoadSpec } from './spec';

/**
 * The load generator, run as its own process (`node --import tsx http-load.ts <spec.json>`) so its CPU is not the
 * server's: autocannon with `connections` keep-alive connections, a warm-up run, then the measured run. Prints one
 * JSON line (HttpLoadResult) on stdout.
 */

async function run(spec: HttpLoadSpec, durationSeconds: number): Promise<HttpLoadResult> {
  const headersNow = authHeaders(spec.auth);
  let next = 0;
  let badAnswers = 0;
  let firstBadAnswer: string | undefined;
  const errorKinds: Record<string, number> = {};
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const options: autocannon.Options = {
      url: spec.url,
      connections: spec.connections,
      duration: durationSeconds,
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => {
            const body = spec.bodies[next++ % spec.bodies.length];
            return { ...request, body, headers: { 'content-type': 'application/json', ...headersNow() } };
          },
          onResponse: (status, body) => {
            if (status < 200 || status >= 300) return;
            if (body.includes('"errors"') || !body.includes(spec.expectInBody)) {
              badAnswers++;
              firstBadAnswer ??= body.slice(0, 500);
            }
          },
        },
      ],
    };
    const instance = autocannon(options, (error: unknown, done: autocannon.Result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(done)));
    // The result counts errors (its timeouts among them) but not their kinds.
    instance.on('reqError', (error: unknown) => countErrorKind(errorKinds, error));
  });
  const seconds = result.duration;
  return {
    requests: result.requests.total,
    durationSeconds: seconds,
    rps: seconds > 0 ? result.requests.total / seconds : 0,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
    errors: result.errors,
    errorKinds,
    non2xx: result.non2xx,
    badAnswers,
    ...(firstBadAnswer === undefined ? {} : { firstBadAnswer }),
  };
}

runAsLoadProcess<HttpLoadSpec, HttpLoadResult>('http-load.ts', async (spec) => {
  if (spec.warmupSeconds > 0) await run(spec, spec.warmupSeconds);
  return run(spec, spec.durationSeconds);
});
