import { readFileSync } from 'node:fs';
import * as hdr from 'hdr-histogram-js';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { forEachBounded } from '../concurrency';
import { SUBSCRIPTION, type Command, type DeliveryReport, type Reply, type SubscribersSpec } from './protocol';

/**
 * `count` graphql-ws subscribers on one gateway, each its own socket, as their own process (`node --import tsx
 * subscribers.ts <spec.json>`, with an IPC channel): connects them all, tells the parent `ready`, then counts what
 * arrives and answers `report` with the deliveries and their latency since the last `reset`.
 */

type Event = { messageStatusChanged?: { message?: { createdAt?: string } } };

function send(reply: Reply): void {
  process.send?.(reply);
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: subscribers.ts <spec.json>');
  const spec = JSON.parse(readFileSync(file, 'utf8')) as SubscribersSpec;
  const newHistogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000, numberOfSignificantValueDigits: 3 });
  let histogram = newHistogram();
  let deliveries = 0;
  let errors = 0;
  let firstAt = 0;
  let lastAt = 0;
  // Which subscribers got an event since the last reset: proves each subscription live, not just the total.
  let reachedBy = new Uint8Array(spec.count);
  let reached = 0;
  const closed: Record<string, number> = {};
  const clients: Client[] = [];
  let failed = 0;
  let firstError: string | undefined;

  const received = (index: number, event: Event) => {
    const now = Date.now();
    const createdAt = event.messageStatusChanged?.message?.createdAt;
    if (!createdAt) {
      errors++;
      return;
    }
    deliveries++;
    if (reachedBy[index] === 0) {
      reachedBy[index] = 1;
      reached++;
    }
    firstAt ||= now;
    lastAt = now;
    histogram.recordValue(Math.max(1, now - Date.parse(createdAt)));
  };

  // A subscriber counts as subscribed once its socket is acknowledged and the subscribe message is on its way.
  await forEachBounded(spec.count, spec.connectConcurrency, async () => {
    await new Promise<void>((resolve) => {
      const client = createClient({
        url: spec.wsUrl,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${spec.token}` },
        on: {
          connected: () => resolve(),
          closed: (event) => {
            const code = String((event as { code?: number }).code ?? 'unknown');
            closed[code] = (closed[code] ?? 0) + 1;
            resolve();
          },
        },
        onNonLazyError: (error) => {
          failed++;
          firstError ??= error instanceof Error ? error.message : String(error);
          resolve();
        },
      });
      const index = clients.push(client) - 1;
      client.subscribe(
        { query: SUBSCRIPTION, variables: { id: spec.conversationId } },
        {
          next: (result) => (result.errors?.length ? errors++ : received(index, result.data as Event)),
          error: () => errors++,
          complete: () => undefined,
        },
      );
    });
  });
  send({ type: 'ready', subscribed: clients.length - failed - Object.values(closed).reduce((a, b) => a + b, 0), failed, ...(firstError === undefined ? {} : { firstError }) });

  process.on('message', (command: Command) => {
    if (command.type === 'reset') {
      histogram = newHistogram();
      deliveries = 0;
      reachedBy = new Uint8Array(spec.count);
      reached = 0;
      errors = 0;
      firstAt = 0;
      lastAt = 0;
    } else if (command.type === 'report') {
      const report: DeliveryReport = {
        deliveries,
        reached,
        latencyMs: { p50: histogram.getValueAtPercentile(50), p99: histogram.getValueAtPercentile(99), max: histogram.maxValue },
        firstAt,
        lastAt,
        errors,
        closed: { ...closed },
      };
      send({ type: 'report', ...report });
    } else if (command.type === 'close') {
      void Promise.all(clients.map((c) => c.dispose())).finally(() => process.exit(0));
    }
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
