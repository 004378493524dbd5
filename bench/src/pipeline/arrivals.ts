import { readFileSync } from 'node:fs';
import * as hdr from 'hdr-histogram-js';
import { Pool } from 'undici';
import type { ArrivalResult, ArrivalSpec } from './spec';

/**
 * Constant-arrival load of sendMessage through the gateway, as its own process (`node --import tsx arrivals.ts
 * <spec.json>`): request i is due at start + i/rate and is sent then, however many earlier ones are still waiting
 * (an open model: a system that falls behind shows it as growing latency, not as a lower request rate). Latency is
 * measured from the due time. Prints one JSON line (ArrivalResult).
 */

const SEND = 'mutation ($c: ID!, $t: String!) { sendMessage(conversationId: $c, content: $t) { id status } }';
const TICK_MS = 2;

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: arrivals.ts <spec.json>');
  const spec = JSON.parse(readFileSync(file, 'utf8')) as ArrivalSpec;
  const url = new URL(spec.graphqlUrl);
  const pool = new Pool(url.origin, { connections: Math.min(spec.maxInFlight, 512), keepAliveTimeout: 30_000 });
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000, numberOfSignificantValueDigits: 3 });
  const total = Math.round(spec.rate * spec.durationSeconds);
  const messageIds: string[] = [];
  let ok = 0;
  let failed = 0;
  let inFlight = 0;
  let firstError: string | undefined;
  let lastAnswer = 0;
  const fail = (reason: string) => {
    failed++;
    firstError ??= reason;
  };

  const send = async (i: number, due: number) => {
    inFlight++;
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
      inFlight--;
      lastAnswer = performance.now();
    }
  };

  const start = performance.now();
  const pending: Promise<void>[] = [];
  let next = 0;
  while (next < total) {
    const now = performance.now();
    while (next < total && start + (next * 1000) / spec.rate <= now) {
      const due = start + (next * 1000) / spec.rate;
      if (inFlight >= spec.maxInFlight) fail(`more than ${spec.maxInFlight} requests outstanding`);
      else pending.push(send(next, due));
      next++;
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(pending);
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
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
