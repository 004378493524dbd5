import { AuthError, PeerUnavailableError, createLogger } from '@chat4all/common';
import { readFileSync } from 'node:fs';
import type { GraphQLDataSource } from '@apollo/gateway';
import { buildSchema } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { encodeCursor } from '../src/subscriptions/cursor';
import { FanOut, type LiveEvent } from '../src/subscriptions/fanout';
import { MemberLists } from '../src/subscriptions/member-lists';
import { NO_METRICS } from '../src/subscriptions/metrics';
import { SubscriptionPlanner } from '../src/subscriptions/plan';
import { EventResolver } from '../src/subscriptions/resolve';
import { createSubscriptionServer, type SubscriptionServer } from '../src/subscriptions/ws';
import { apiSchemaSdl } from '../src/supergraph/api-schema';
import { defaultSupergraphPath } from '../src/supergraph/load';
import { rawRequest } from '../../common/test/support/http';
import { serveSubscriptions } from './fixtures/ws-server';

/**
 * The graphql-ws server on a real HTTP server with a real graphql-ws client, fed by an in-process fan-out instead of
 * Kafka, with a messages subgraph the test controls: the buffer bound and the per-event membership check, deterministically.
 */
const SUBSCRIPTION = 'subscription ($c: ID!) { messageStatusChanged(conversationId: $c) { previousStatus cursor message { id status } } }';
// Needs the messages subgraph (content is not in the event): resolving it can be held up by the test.
const WITH_CONTENT = 'subscription ($c: ID!) { messageStatusChanged(conversationId: $c) { message { id content } } }';
const MY_EVENTS = 'subscription { myEvents { cursor message { id status conversation { id } } } }';

// Conversation ids are UUIDs: the subscription refuses anything else.
const C_MEMBER = '0190f000-0000-4000-8000-000000000001';
const C_OTHER = '0190f000-0000-4000-8000-000000000002';
const C_LISTED_ONLY = '0190f000-0000-4000-8000-000000000003';

function event(conversationId: string, n: number): LiveEvent {
  const position = [BigInt(n)];
  return { kind: 'status', conversationId, messageId: `m${n}`, status: 'DELIVERED', previousStatus: 'SENT', partition: 0, offset: BigInt(n), position, cursor: encodeCursor(position) };
}

describe('graphql-ws server (in process)', () => {
  let served: Awaited<ReturnType<typeof serveSubscriptions>>;
  let subscriptions: SubscriptionServer;
  let url: string;
  const fanOut = new FanOut();
  const members = new Set([C_MEMBER]);
  // What the users subgraph lists as u1's conversations: its memberships, plus one the exact check at delivery refuses.
  let listsDown = false;
  let membershipDown = false;
  const memberLists = new MemberLists(
    {
      conversationIdsOf: async (userIds) => {
        if (listsDown) throw new PeerUnavailableError('users', 'connect ECONNREFUSED 10.0.0.7:4001');
        return userIds.map(() => [...members, C_LISTED_ONLY]);
      },
    },
    { refreshMs: 60_000, log: createLogger('test', 'silent') },
  );
  let release: () => void = () => undefined;
  let blockQueries = false;
  const clients: Client[] = [];
  const messages: GraphQLDataSource = {
    process: async () => {
      if (blockQueries) await new Promise<void>((resolve) => (release = resolve));
      return { data: { m0: [{ content: 'stored' }] } };
    },
  };

  beforeAll(async () => {
    subscriptions = createSubscriptionServer({
      path: '/graphql',
      schema: (() => {
        const schema = buildSchema(apiSchemaSdl());
        return () => schema;
      })(),
      jwt: {
        verify: async (token: string) => {
          // `good`, or a token shaped like a JWT whose payload carries `exp` (the signature is this fake's business).
          if (token !== 'good' && !token.startsWith('expiring.')) throw new AuthError('bad token');
          return { userId: 'u1', username: 'u' };
        },
      },
      fanOut,
      feed: { position: () => [-1n] },
      replays: { start: () => Promise.reject(new Error('resuming is tested in subscriptions-resume.test.ts')) },
      membership: {
        isMember: async (conversationId: string) => {
          if (membershipDown) throw new PeerUnavailableError('users', 'connect ECONNREFUSED 10.0.0.7:4001');
          return members.has(conversationId);
        },
        isMemberNow: () => undefined,
        forget: () => undefined,
      },
      memberLists,
      bufferSize: 3,
      maxSocketBufferBytes: 1024 * 1024,
      maxSubscriptionsPerSocket: 3,
      maxDocuments: 100,
      maxMessageBytes: 64 * 1024,
      metrics: NO_METRICS,
      limits: { maxDepth: 4, maxAliases: 2, maxCost: 1_000, maxTokens: 200 },
      log: createLogger('test', 'silent'),
      events: new EventResolver({
        planner: (() => {
          const planner = new SubscriptionPlanner(readFileSync(defaultSupergraphPath, 'utf8'));
          return () => planner;
        })(),
        services: () => ({ messages }),
        log: createLogger('test', 'silent'),
      }),
    });
    served = await serveSubscriptions(subscriptions);
    url = served.url;
  });

  afterAll(async () => {
    release();
    await Promise.all(clients.map((c) => c.dispose()));
    await served.close();
  });

  function subscribe(conversationId: string, query = SUBSCRIPTION) {
    let closedWith: (code: number | undefined) => void = () => undefined;
    const closed = new Promise<number | undefined>((resolve) => (closedWith = resolve));
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: 'Bearer good' },
      retryAttempts: 0,
      on: { closed: (e) => closedWith((e as { code?: number }).code) },
    });
    clients.push(client);
    const data: unknown[] = [];
    const errors: unknown[] = [];
    client.subscribe({ query, variables: { c: conversationId } }, { next: (r) => (r.errors ? errors.push(...r.errors) : data.push(r.data)), error: (e) => errors.push(e), complete: () => undefined });
    return { data, errors, closed, client };
  }

  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** Until the server has registered `count` listeners (a subscription's first plan may take a while on a busy machine). */
  /**
   * Until `condition` holds (at most about 5 s; the assertion after it judges). A socket's steps (connect, subscribe,
   * an event out, a close) each take a turn of the event loop, which a fixed wait can overtake on a busy machine.
   */
  const until = async (condition: () => boolean) => {
    for (let i = 0; i < 500 && !condition(); i++) await settle(10);
  };
  const listening = (count: number) => until(() => fanOut.listenerCount >= count);

  it('delivers events of a conversation the subscriber belongs to, with the status the event carries; none of others', async () => {
    const before = fanOut.listenerCount;
    const member = subscribe(C_MEMBER);
    const stranger = subscribe(C_OTHER);
    await listening(before + 2);
    fanOut.publish(event(C_MEMBER, 1));
    fanOut.publish(event(C_OTHER, 2));
    await until(() => member.data.length > 0 || member.errors.length > 0);
    await settle(200); // room for an event of the other conversation to show
    expect(member.errors).toEqual([]);
    expect(member.data).toEqual([{ messageStatusChanged: { previousStatus: 'SENT', cursor: event(C_MEMBER, 1).cursor, message: { id: 'm1', status: 'DELIVERED' } } }]);
    expect(stranger.data).toEqual([]);
  });

  it('refuses a conversationId that is no conversation id with BAD_USER_INPUT; an id in upper case is the same conversation', async () => {
    const refused = subscribe('nope');
    await until(() => refused.errors.length > 0);
    expect(refused.errors.flat()).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'conversationId' } })]);
    const before = fanOut.listenerCount;
    const shouting = subscribe(C_MEMBER.toUpperCase());
    await listening(before + 1);
    fanOut.publish(event(C_MEMBER, 5));
    await until(() => shouting.data.length > 0 || shouting.errors.length > 0);
    expect(shouting.errors).toEqual([]);
    expect(shouting.data).toEqual([{ messageStatusChanged: { previousStatus: 'SENT', cursor: event(C_MEMBER, 5).cursor, message: { id: 'm5', status: 'DELIVERED' } } }]);
    await shouting.client.dispose();
    await until(() => fanOut.listenerCount === before);
  });

  it('closes a subscriber that falls more than SUBSCRIPTION_BUFFER events behind with 4429', async () => {
    const before = fanOut.listenerCount;
    const slow = subscribe(C_MEMBER, WITH_CONTENT);
    await listening(before + 1);
    blockQueries = true;
    // The first event is taken out of the queue and stays in execution (blocked); three more fill the queue; the fifth overflows.
    for (let n = 10; n < 15; n++) fanOut.publish(event(C_MEMBER, n));
    expect(await slow.closed).toBe(4429);
    blockQueries = false;
    release();
  });

  it('queues for a myEvents subscriber only events of conversations it may belong to: a burst elsewhere does not close it', async () => {
    const before = fanOut.listenerCount;
    const mine = subscribe('unused', MY_EVENTS);
    let closed = false;
    void mine.closed.then(() => (closed = true));
    await listening(before + 1);
    // Far more events of a conversation it is not in than its queue holds (3), in one tick: with every event queued
    // (membership checked only as each leaves the queue), the fifth would close it with 4429.
    for (let n = 100; n < 120; n++) fanOut.publish(event(C_OTHER, n));
    fanOut.publish(event(C_LISTED_ONLY, 120)); // listed, but not a member when delivered: membership stays exact
    fanOut.publish(event(C_MEMBER, 121));
    await until(() => mine.data.length > 0 || mine.errors.length > 0 || closed);
    await settle(200); // room for an event of the other conversations, or a close, to show
    expect(closed).toBe(false);
    expect(mine.errors).toEqual([]);
    expect(mine.data).toEqual([{ myEvents: { cursor: event(C_MEMBER, 121).cursor, message: { id: 'm121', status: 'DELIVERED', conversation: { id: C_MEMBER } } } }]);
    expect(memberLists.watchedUsers).toBe(1);
    await mine.client.dispose();
    await until(() => memberLists.watchedUsers === 0);
    expect(memberLists.watchedUsers).toBe(0);
  });

  it('refuses myEvents with UNAVAILABLE, saying to subscribe again, while the conversations cannot be listed', async () => {
    listsDown = true;
    try {
      const refused = subscribe('unused', MY_EVENTS);
      await until(() => refused.errors.length > 0);
      expect(refused.errors.flat()).toEqual([
        expect.objectContaining({ message: 'the conversations you belong to could not be listed: subscribe again in a moment', extensions: { code: 'UNAVAILABLE' } }),
      ]);
    } finally {
      listsDown = false;
    }
    const before = fanOut.listenerCount;
    const again = subscribe('unused', MY_EVENTS);
    await listening(before + 1);
    fanOut.publish(event(C_MEMBER, 130));
    await until(() => again.data.length > 0 || again.errors.length > 0);
    expect(again.errors).toEqual([]);
    expect(again.data).toEqual([{ myEvents: { cursor: event(C_MEMBER, 130).cursor, message: { id: 'm130', status: 'DELIVERED', conversation: { id: C_MEMBER } } } }]);
    await again.client.dispose();
    await until(() => fanOut.listenerCount === before);
  });

  it('ends a subscription with UNAVAILABLE when membership cannot be checked, leaving no listener behind', async () => {
    const before = fanOut.listenerCount;
    const s = subscribe(C_MEMBER);
    await listening(before + 1);
    membershipDown = true;
    try {
      fanOut.publish(event(C_MEMBER, 140));
      await until(() => s.errors.length > 0);
    } finally {
      membershipDown = false;
    }
    expect(s.errors.flat()).toEqual([
      expect.objectContaining({ message: 'membership in this conversation could not be checked: subscribe again in a moment', extensions: { code: 'UNAVAILABLE' } }),
    ]);
    expect(s.data).toEqual([]);
    await until(() => fanOut.listenerCount === before);
    expect(fanOut.listenerCount).toBe(before);
    await s.client.dispose();
  });

  it('forgets a subscriber once its client goes away (no listener left behind)', async () => {
    const before = fanOut.listenerCount;
    const gone = subscribe(C_MEMBER);
    await listening(before + 1);
    await settle(200); // room for a second listener, which would be a bug, to show
    expect(fanOut.listenerCount).toBe(before + 1);
    await gone.client.dispose();
    await until(() => fanOut.listenerCount <= before);
    expect(fanOut.listenerCount).toBe(before);
  });

  it('drops an upgrade whose request target is no URL path, and keeps serving', async () => {
    const upgrade = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==';
    expect(await rawRequest(url.replace('ws:', 'http:'), `GET //[ HTTP/1.1\r\nHost: x\r\n${upgrade}`)).toBe('closed');
    const before = fanOut.listenerCount;
    const after = subscribe(C_MEMBER);
    await listening(before + 1);
    expect(fanOut.listenerCount).toBe(before + 1);
    await after.client.dispose();
  });

  it('refuses what is not a valid subscription within the limits before it starts', async () => {
    const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: 'Bearer good' }, retryAttempts: 0 });
    clients.push(client);
    const codes = async (query: string) => {
      const errors: unknown[] = [];
      await new Promise<void>((resolve) =>
        client.subscribe({ query, variables: { c: C_MEMBER } }, { next: () => undefined, error: (e) => (errors.push(e), resolve()), complete: () => resolve() }),
      );
      return (errors[0] as { extensions?: { code?: string } }[] | undefined)?.map((e) => e.extensions?.code ?? 'none');
    };
    const deep = 'subscription ($c: ID!) { messageStatusChanged(conversationId: $c) { message { conversation { messages { edges { node { id } } } } } } }';
    expect(await codes(deep)).toEqual(['QUERY_TOO_DEEP']);
    expect(await codes('subscription ($c: ID!) { messageStatusChanged(conversationId: $c) { nope } }')).toEqual(['none']);
    expect(await codes('query { __typename }')).toEqual(['BAD_REQUEST']);
    // maxTokens is 200 here; the same text twice (the second from the document cache's side: it was never stored).
    const long = `subscription ($c: ID!) { messageStatusChanged(conversationId: $c) { ${'cursor '.repeat(200)} } }`;
    expect(await codes(long)).toEqual(['TOO_MANY_TOKENS']);
    expect(await codes(long)).toEqual(['TOO_MANY_TOKENS']);
  });

  it('closes with 4409 a socket that subscribes again under an id still starting (completed meanwhile): none runs out of sight', async () => {
    const before = fanOut.listenerCount;
    const socket = new WebSocket(url, 'graphql-transport-ws');
    const frames: { type: string }[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(String(data)) as (typeof frames)[number]));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve) => socket.once('open', () => resolve()));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer good' } }));
    await until(() => frames.some((f) => f.type === 'connection_ack'));
    const subscribe = JSON.stringify({ id: 'x', type: 'subscribe', payload: { query: SUBSCRIPTION, variables: { c: C_MEMBER } } });
    // One batch: graphql-ws forgets `x` on `complete` while it still starts, and would start a second `x` beside it.
    for (const message of [subscribe, JSON.stringify({ id: 'x', type: 'complete' }), subscribe]) socket.send(message);
    expect(await closed).toBe(4409);
    // The first `x` ends as it finishes starting: nothing is left listening for this socket.
    await until(() => fanOut.listenerCount === before);
    await settle(200);
    expect(fanOut.listenerCount).toBe(before);
  });

  it('closes a socket with 4403 when its token expires (a graphql-ws client reconnects then, with a fresh token)', async () => {
    const exp = Math.floor(Date.now() / 1000) + 1;
    const token = `expiring.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.sig`;
    const socket = new WebSocket(url, 'graphql-transport-ws');
    const acked = new Promise<void>((resolve) => socket.once('message', () => resolve()));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    await acked;
    const { code, reason } = await closed;
    expect({ code, reason }).toEqual({ code: 4403, reason: 'Forbidden: token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
  });

  it('closes a socket whose message is larger than the limit with 1009, before it is parsed; one just under it passes', async () => {
    const sendOne = (bytes: number) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(url, 'graphql-transport-ws');
        const init = JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer good', pad: '' } });
        socket.once('open', () => socket.send(init.replace('"pad":""', `"pad":"${'x'.repeat(bytes - init.length)}"`)));
        // An accepted init is acknowledged: then the socket is closed by us (1000).
        socket.on('message', () => socket.close(1000));
        socket.once('close', (code) => resolve(code));
        socket.once('error', reject);
      });
    expect(await sendOne(64 * 1024)).toBe(1000);
    expect(await sendOne(64 * 1024 + 1)).toBe(1009);
  });
});
