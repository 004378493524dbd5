import { Pool } from 'undici';
import { runAsLoadProcess } from '../load/process';
import { dueLatencyHistogram, runArrivals } from '../load/schedule';
import type { ArrivalResult, ArrivalSpec } from './spec';

/**
 * Constant-arrival load of sendMessage through the gateway, as its own process (`node --import tsx arrivals.ts
 * <spec.json>`), on the open-model schedule of load/schedule.ts; latency is measured from each request's due time.
 * Prints one JSON line (ArrivalResult).
 */

const SEND = 'mutation ($c: ID!, $t: String!) { sendMessage(conversationId: $c, content: $t) { id status } }';

runAsLoadProcess<ArrivalSpec, ArrivalResult>('arrivals.ts', async (spec) => {
  const url = new URL(spec.graphqlUrl);
  const pool = new Pool(url.origin, { connections: Math.min(spec.maxInFlight, 512), keepAliveTimeout: 30_000 });
  const histogram = dueLatencyHistogram();
  const total = Math.round(spec.rate * spec.durationSeconds);
  const messageIds: string[] = [];
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  let lastAnswer = 0;
  const fail = (reason: string) => {
    failed++;
    firstError ??= reason;
  };

  const send = async (i: number, due: number) => {
    try {
      const body = JSON.stringify({ query: SEND, variables: { c: spec.conversationIds[i % spec.conversationIds.length], t: `pipeline benchmark message ${i}: a sentence or two of ordinary chat text` } });
      const response = await pool.request({
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${spec.token}` },
        body,
      });
      const text = await response.body.text();
      const answer = JSON.parse(text) as { data?: { sendMessage?: { id: string } }; errors?: { message: string }[] };
      const id = answer.data?.sendMessage?.id;
      if (response.statusCode !== 200 || !id) return fail(`${response.statusCode}: ${text.slice(0, 300)}`);
      ok++;
      messageIds.push(id);
      histogram.recordValue(Math.max(1, performance.now() - due));
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
    } finally {
      lastAnswer = performance.now();
    }
  };

  const { start, dropped } = await runArrivals({ rate: spec.rate, total, maxInFlight: spec.maxInFlight }, send);
  for (let i = 0; i < dropped; i++) fail(`more than ${spec.maxInFlight} requests outstanding`);
  await pool.close();
  const seconds = Math.max(lastAnswer - start, 1) / 1000;
  const result: ArrivalResult = {
    scheduled: total,
    ok,
    failed,
    ...(firstError === undefined ? {} : { firstError }),
    achievedRate: ok / seconds,
    latencyMs: {
      p50: histogram.getValueAtPercentile(50),
      p95: histogram.getValueAtPercentile(95),
      p99: histogram.getValueAtPercentile(99),
      max: histogram.maxValue,
    },
    messageIds,
  };
  return result;
});
