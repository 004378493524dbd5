import { readFileSync } from 'node:fs';
import * as hdr from 'hdr-histogram-js';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, MessageType } from 'graphql-ws';
import WebSocket from 'ws';
import { forEachBounded } from '../concurrency';
import { SUBSCRIPTION, type Command, type DeliveryReport, type Reply, type SubscribersSpec } from './protocol';

/**
 * `count` graphql-ws subscribers on one gateway, each its own socket, as their own process (`node --import tsx
 * subscribers.ts <spec.json>`, with an IPC channel): connects them all, tells the parent `ready`, then counts what
 * arrives and answers `report` with the deliveries and their latency since the last `reset`.
 *
 * Each subscriber speaks graphql-transport-ws itself on a `ws` socket (connection_init with the token, one subscribe,
 * then every `next` parsed whole), rather than through graphql-ws's client: with 10,000 of them in one process, that
 * client's per-message work (an EventTarget event, message validation, sink dispatch) held a server that does nothing
 * but write (the fan-out floor, floor-server.ts) to ~20,000 deliveries/s and a p99 of ~440 ms per 10k burst, so the
 * benchmark measured its own subscribers. The protocol is the same; only its client-side cost is less.
 */

type Event = { messageStatusChanged?: { message?: { createdAt?: string; sender?: { displayName?: string } } } };
/** What the server sends, as far as a subscriber reads it. */
type ServerMessage = { type?: string; id?: string; payload?: { data?: Event; errors?: unknown[] } };

/** The one subscription each socket runs. */
const SUBSCRIPTION_ID = '1';

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
  let fromEarlier = 0;
  let countFrom = 0;
  let errors = 0;
  // The first error since the last reset, in words: the report says what went wrong, not only how often.
  let firstErrorSeen: string | undefined;
  const countError = (what: string) => {
    errors++;
    firstErrorSeen ??= what.slice(0, 300);
  };
  let firstAt = 0;
  let lastAt = 0;
  // Which subscribers got an event since the last reset: proves each subscription live, not just the total.
  let reachedBy = new Uint8Array(spec.count);
  let reached = 0;
  const closed: Record<string, number> = {};
  const sockets: WebSocket[] = [];
  let failed = 0;
  let firstError: string | undefined;

  const received = (index: number, event: Event | undefined) => {
    const now = Date.now();
    const message = event?.messageStatusChanged?.message;
    const createdAt = message?.createdAt;
    if (!createdAt) return countError('an event without its message createdAt');
    if (spec.expectDisplayName !== undefined && message?.sender?.displayName !== spec.expectDisplayName) {
      return countError(`an event whose sender displayName is ${JSON.stringify(message?.sender?.displayName)}`);
    }
    const created = Date.parse(createdAt);
    if (created < countFrom) {
      fromEarlier++;
      return;
    }
    deliveries++;
    if (reachedBy[index] === 0) {
      reachedBy[index] = 1;
      reached++;
    }
    firstAt ||= now;
    lastAt = now;
    histogram.recordValue(Math.max(1, now - created));
  };

  const subscribe = JSON.stringify({ id: SUBSCRIPTION_ID, type: MessageType.Subscribe, payload: { query: SUBSCRIPTION, variables: { id: spec.conversationId } } });
  const init = JSON.stringify({ type: MessageType.ConnectionInit, payload: { authorization: `Bearer ${spec.token}` } });
  const pong = JSON.stringify({ type: MessageType.Pong });

  // A subscriber counts as subscribed once its socket is acknowledged and the subscribe message is on its way.
  await forEachBounded(spec.count, spec.connectConcurrency, async () => {
    await new Promise<void>((resolve) => {
      const socket = new WebSocket(spec.wsUrl, GRAPHQL_TRANSPORT_WS_PROTOCOL, spec.headers ? { headers: spec.headers } : {});
      const index = sockets.push(socket) - 1;
      socket.on('open', () => socket.send(init));
      socket.on('message', (data: WebSocket.RawData) => {
        let message: ServerMessage;
        try {
          message = JSON.parse(data.toString()) as ServerMessage;
        } catch {
          return countError('a message that is not JSON');
        }
        switch (message.type) {
          case MessageType.Next:
            if (message.payload?.errors?.length) countError(`an event with errors: ${JSON.stringify(message.payload.errors)}`);
            else received(index, message.payload?.data);
            return;
          case MessageType.ConnectionAck:
            socket.send(subscribe);
            resolve();
            return;
          case MessageType.Ping:
            socket.send(pong);
            return;
          case MessageType.Error:
          case MessageType.Complete:
            // The one subscription was refused or ended by the server: nothing more will come on it.
            countError(`the server sent ${message.type}: ${JSON.stringify(message.payload ?? null)}`);
            return;
        }
      });
      // A socket that fails (refused, reset) emits 'error' then 'close': it counts once, as failed.
      let errored = false;
      socket.on('error', (error) => {
        errored = true;
        failed++;
        firstError ??= error.message;
        resolve();
      });
      socket.on('close', (code) => {
        if (!errored) closed[String(code)] = (closed[String(code)] ?? 0) + 1;
        resolve();
      });
    });
  });
  send({ type: 'ready', subscribed: sockets.length - failed - Object.values(closed).reduce((a, b) => a + b, 0), failed, ...(firstError === undefined ? {} : { firstError }) });

  process.on('message', (command: Command) => {
    if (command.type === 'reset') {
      histogram = newHistogram();
      deliveries = 0;
      fromEarlier = 0;
      countFrom = command.at;
      reachedBy = new Uint8Array(spec.count);
      reached = 0;
      errors = 0;
      firstErrorSeen = undefined;
      firstAt = 0;
      lastAt = 0;
      send({ type: 'reset' });
    } else if (command.type === 'report') {
      const report: DeliveryReport = {
        deliveries,
        fromEarlier,
        reached,
        latencyMs: { p50: histogram.getValueAtPercentile(50), p99: histogram.getValueAtPercentile(99), max: histogram.maxValue },
        firstAt,
        lastAt,
        errors,
        ...(firstErrorSeen !== undefined && { firstError: firstErrorSeen }),
        closed: { ...closed },
      };
      send({ type: 'report', ...report });
    } else if (command.type === 'close') {
      void Promise.all(
        sockets.map(
          (socket) =>
            new Promise<void>((resolve) => {
              if (socket.readyState === WebSocket.CLOSED) return resolve();
              socket.once('close', () => resolve());
              socket.close(1000, 'benchmark done');
            }),
        ),
      ).finally(() => process.exit(0));
    }
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
