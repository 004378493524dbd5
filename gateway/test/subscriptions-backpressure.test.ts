import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createLogger } from '@chat4all/common';
import { buildSchema } from 'graphql';
import WebSocket from 'ws';
import { encodeCursor } from '../src/subscriptions/cursor';
import { FanOut, type LiveEvent } from '../src/subscriptions/fanout';
import { NO_METRICS, type SubscriptionMetrics, type TooSlowReason } from '../src/subscriptions/metrics';
import { SubscriptionPlanner } from '../src/subscriptions/plan';
import { EventResolver } from '../src/subscriptions/resolve';
import { createSubscriptionServer, type SubscriptionServer } from '../src/subscriptions/ws';
import { apiSchemaSdl } from '../src/supergraph/api-schema';
import { defaultSupergraphPath } from '../src/supergraph/load';
import { DELIVERY_PATHS } from './fixtures/delivery-paths';
import { serveSubscriptions } from './fixtures/ws-server';

/**
 * Per-socket backpressure with a real graphql-ws server and a raw `ws` client that stops reading: the socket's unsent
 * bytes (`bufferedAmount`) are bounded by maxSocketBufferBytes, beyond which the socket closes with 4429.
 */
const LIMIT = 64 * 1024;
const BIG = 'x'.repeat(200 * 1024); // one event's message is over the limit
const CONVERSATION = '0190f000-0000-4000-8000-00000000000c';

function event(n: number): LiveEvent {
  const position = [BigInt(n)];
  return { kind: 'status', conversationId: CONVERSATION, messageId: `m${n}`, status: 'DELIVERED', previousStatus: 'SENT', partition: 0, offset: BigInt(n), position, cursor: encodeCursor(position) };
}

/** Entity fetches started, and what each waits for before answering (open unless a test holds it). */
let resolving = 0;
let gate: Promise<void> = Promise.resolve();

/**
 * A real graphql-ws server on `fanOut`, its events' `content` answered by a messages subgraph that waits for `gate`;
 * each 4429 close is recorded in `closes` with its reason.
 */
async function serve(fanOut: FanOut, bufferSize: number, closes: TooSlowReason[], cachedMember: boolean | undefined, content = BIG) {
  const metrics: SubscriptionMetrics = { ...NO_METRICS, tooSlow: (reason) => void closes.push(reason) };
  const schema = buildSchema(apiSchemaSdl());
  const planner = new SubscriptionPlanner(readFileSync(defaultSupergraphPath, 'utf8'));
  const subscriptions: SubscriptionServer = createSubscriptionServer({
    path: '/graphql',
    schema: () => schema,
    jwt: { verify: async () => ({ userId: 'u1', username: 'u' }) },
    fanOut,
    feed: { position: () => [-1n] },
    replays: { start: () => Promise.reject(new Error('not resuming here')) },
    membership: { isMember: async () => true, isMemberNow: () => cachedMember, forget: () => undefined },
    memberLists: { watch: () => Promise.reject(new Error('myEvents member lists are tested in subscriptions-ws.test.ts')) },
    bufferSize,
    maxSocketBufferBytes: LIMIT,
    maxSubscriptionsPerSocket: 2,
    maxDocuments: 100,
    maxMessageBytes: 64 * 1024,
    metrics,
    limits: { maxDepth: 4, maxAliases: 2, maxCost: 1_000, maxTokens: 200 },
    log: createLogger('test', 'silent'),
    events: new EventResolver({
      planner: () => planner,
      // The messages subgraph answers the entity fetch for `content` (the event does not carry it).
      services: () => ({
        messages: {
          process: async () => {
            resolving++;
            await gate;
            return { data: { m0: [{ content }] } };
          },
        },
      }),
      log: createLogger('test', 'silent'),
    }),
  });
  return serveSubscriptions(subscriptions);
}

/** A graphql-transport-ws client by hand, so a test can stop reading its TCP socket. */
async function connect(url: string) {
  const ws = new WebSocket(url, 'graphql-transport-ws');
  const messages: { type: string; id?: string; payload?: unknown }[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as { type: string }));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise((resolve) => ws.on('open', resolve));
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer t' } }));
  const until = async (what: () => boolean) => {
    for (let i = 0; !what(); i++) {
      if (i > 500) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  await until(() => messages.some((m) => m.type === 'connection_ack'));
  // ws keeps its TCP socket private; pausing it is how a client that stops reading looks to the server.
  const tcp = (ws as unknown as { _socket: Socket })._socket;
  return { ws, messages, closed, until, tcp };
}

const SUBSCRIPTION = `subscription { messageStatusChanged(conversationId: "${CONVERSATION}") { cursor message { id content } } }`;

describe.each(DELIVERY_PATHS)('socket backpressure, %s', (_path, cachedMember) => {
  let served: Awaited<ReturnType<typeof serveSubscriptions>>;
  let url: string;
  const fanOut = new FanOut();
  const closes: TooSlowReason[] = [];

  beforeAll(async () => {
    served = await serve(fanOut, 1_000, closes, cachedMember); // the event count is not what closes this socket
    url = served.url;
  });

  afterAll(async () => {
    await served.close();
  });

  // Each test's sockets close with it, so the next one counts only its own listeners on the fan-out.
  afterEach(async () => {
    for (let i = 0; i < 500 && fanOut.listenerCount > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  });

  it('closes with 4429 a socket whose client stopped reading once its unsent bytes pass the limit; a reading one is not', async () => {
    const slow = await connect(url);
    const fast = await connect(url);
    for (const c of [slow, fast]) c.ws.send(JSON.stringify({ type: 'subscribe', id: '1', payload: { query: SUBSCRIPTION } }));
    // Both registered before the first event: one missed by the fast client would leave it short of `published`.
    await fast.until(() => fanOut.listenerCount === 2);
    slow.tcp.pause();
    // Until the kernel's socket buffers (a few MB on loopback) are full and the server's sends stall.
    let published = 0;
    while (closes.length === 0 && published < 200) {
      fanOut.publish(event(++published));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await fast.until(() => fast.messages.filter((m) => m.type === 'next').length === published);
    expect(closes).toEqual(['socket_buffer']);
    slow.tcp.resume(); // what was sent before the close arrives, then the close frame
    const { code, reason } = await slow.closed;
    expect(code).toBe(4429);
    expect(reason).toMatch(/subscriber too slow: over 65536 bytes unsent/);
    expect(slow.messages.filter((m) => m.type === 'next').length).toBeLessThan(published);
    expect(fast.ws.readyState).toBe(WebSocket.OPEN);
    fast.ws.close();
  });

  it('sends no next after the client completed a subscription whose event was still resolving', async () => {
    const client = await connect(url);
    client.ws.send(JSON.stringify({ type: 'subscribe', id: 'done-early', payload: { query: SUBSCRIPTION } }));
    client.ws.send(JSON.stringify({ type: 'subscribe', id: 'kept', payload: { query: SUBSCRIPTION } }));
    await client.until(() => fanOut.listenerCount === 2);
    let open = () => undefined as void;
    gate = new Promise<void>((resolve) => (open = resolve));
    const before = resolving;
    // Handed to both subscriptions (the fan-out may give the event loop a turn first, in which a complete would
    // arrive before the event), and its resolution under way.
    await fanOut.publish(event(10_000));
    await client.until(() => resolving > before);
    client.ws.send(JSON.stringify({ type: 'complete', id: 'done-early' }));
    // The server has handled the complete once the subscription stopped listening (it is marked completed first).
    await client.until(() => fanOut.listenerCount === 1);
    open();
    gate = Promise.resolve();
    // The other subscription of the socket gets the event; the completed one gets nothing.
    await client.until(() => client.messages.some((m) => m.type === 'next' && m.id === 'kept'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.messages.filter((m) => m.id === 'done-early')).toEqual([]);
    client.ws.close();
  });

  it('refuses a subscription beyond SUBSCRIPTION_MAX_PER_SOCKET', async () => {
    const client = await connect(url);
    for (const id of ['1', '2', '3']) client.ws.send(JSON.stringify({ type: 'subscribe', id, payload: { query: SUBSCRIPTION } }));
    await client.until(() => client.messages.some((m) => m.type === 'error'));
    const error = client.messages.find((m) => m.type === 'error')!;
    expect(error).toMatchObject({ id: '3', payload: [{ extensions: { code: 'RATE_LIMITED' } }] });
    client.ws.close();
  });
});

describe.each(DELIVERY_PATHS)('pacing: events due faster than the gateway resolves them, %s', (_path, cachedMember) => {
  const AHEAD = 4;
  const BUFFER = 20;
  let served: Awaited<ReturnType<typeof serveSubscriptions>>;
  const fanOut = new FanOut({ ahead: AHEAD, maxPauseMs: 60_000 });
  const closes: TooSlowReason[] = [];

  beforeAll(async () => {
    served = await serve(fanOut, BUFFER, closes, cachedMember, 'small');
  });

  afterAll(async () => {
    gate = Promise.resolve();
    await served.close();
  });

  it('hold the feed, not the subscriber: its queue stays within `ahead`, nothing closes it, and it gets every event in order', async () => {
    const client = await connect(served.url);
    client.ws.send(JSON.stringify({ type: 'subscribe', id: '1', payload: { query: SUBSCRIPTION } }));
    await client.until(() => fanOut.listenerCount === 1);
    let open = () => undefined as void;
    gate = new Promise<void>((resolve) => (open = resolve));
    const before = resolving;
    // As the feed's reader does: the next record only once the fan-out took the last. Five times the queue's bound.
    const total = BUFFER * 5;
    let handed = 0;
    const feeding = (async () => {
      for (let n = 1; n <= total; n++) {
        await fanOut.publish(event(n));
        handed = n;
      }
    })();
    await client.until(() => resolving > before && handed >= AHEAD);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The first event is resolving; AHEAD more wait in the queue, and the feed waits for room (its backlog in Kafka).
    expect(handed).toBe(AHEAD + 1);
    expect(fanOut.waitingEvents).toBe(AHEAD);
    open();
    gate = Promise.resolve();
    await feeding;
    await client.until(() => client.messages.filter((m) => m.type === 'next').length === total);
    const ids = client.messages.filter((m) => m.type === 'next').map((m) => (m.payload as { data: { messageStatusChanged: { message: { id: string } } } }).data.messageStatusChanged.message.id);
    expect(ids).toEqual(Array.from({ length: total }, (_, i) => `m${i + 1}`));
    expect(closes).toEqual([]);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    client.ws.close();
  });
});
