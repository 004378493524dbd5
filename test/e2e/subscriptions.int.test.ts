import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'node:net';
import { ApolloClient as ApolloClientClass, InMemoryCache, type ApolloClient, type TypedDocumentNode } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { print } from 'graphql';
import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { z } from 'zod';
import { TOPICS, createKafkaClient, createLogger, kafkaEnv, loadConfig } from '@chat4all/common';
import {
  AddConversationMemberDocument,
  CreateConversationDocument,
  MessageAddedDocument,
  MessageStatusChangedDocument,
  MyEventsDocument,
  RegisterDocument,
  RemoveConversationMemberDocument,
  SendMessageDocument,
  type MessageStatusChangedSubscription,
  type MyEventsSubscription,
} from './generated/graphql';
import { apolloClient, run } from './support/client';
import { readMetric } from './support/metrics';
import { uploadFile } from './support/upload';
import { E2E_KEYSPACE } from './support/engines';
import { STACK_MODES, startStack, type E2eStack } from './support/stack';
import { startSecondGateway, startWorkers, type Workers } from './support/workers';

/**
 * Live status through the gateway, once per stack mode: the four API processes of the e2e stack plus the router, the
 * WhatsApp connector and its simulator, all on real Kafka, Cassandra and PostgreSQL; and the embedded platform (one
 * `npm start` process, which runs the router, connectors and simulators itself). Clients are graphql-ws `createClient`s over node's
 * `ws`, as an application would connect. Logs: .local/logs/e2e/<service>.log.
 */
jest.setTimeout(120_000);

const PASSWORD = 'correct horse battery staple';
const unique = (name: string) => `${name}_${randomBytes(5).toString('hex')}`;
/**
 * How long after a membership change every subscription follows it, as docs/subscriptions.md states: the change's
 * announcement on the bus, one users-subgraph call and the event's resolution, with room for a busy machine. The
 * membership caches keep answers for 30 s by default (SUBSCRIPTION_MEMBERSHIP_TTL_MS, MEMBERSHIP_CACHE_TTL_MS), so only
 * the announcement can make a change show within this.
 */
const MEMBERSHIP_BOUND_MS = 3_000;

interface Person {
  id: string;
  displayName: string;
  token: string;
  client: ApolloClient;
}

type Event = MessageStatusChangedSubscription['messageStatusChanged'];
type MyEvent = MyEventsSubscription['myEvents'];
/** What the lifecycle checks read of an event (messageStatusChanged and myEvents alike). */
type StatusEvent = { previousStatus: Event['previousStatus']; message: { id: string; status: Event['message']['status'] } };

/** One subscription's results so far. */
interface Live<T> {
  client: Client;
  events: T[];
  /** When each of `events` arrived (Date.now()), so a bound is judged on the arrival, not on the test's next look. */
  receivedAt: number[];
  errors: unknown[];
  /** Resolves with the close event's code when the socket closes (or the subscription errors). */
  closed: Promise<number | undefined>;
  dispose(): Promise<void>;
  /** With `terminateAfter`: the errors received up to the cut (set when it happens). */
  cut: { errors?: unknown[] };
}
type Watch = Live<Event>;

describe.each(STACK_MODES)('subscriptions through the gateway (graphql-ws, fed by the event bus; %s)', (mode) => {
  let stack: E2eStack | undefined;
  let workers: Workers | undefined;
  let alice: Person;
  let outsider: Person;
  let conversationId: string;
  const title = unique('live status');
  const clients: Client[] = [];

  const wsUrl = () => stack!.graphqlUrl.replace(/^http/, 'ws');

  async function register(name: string): Promise<Person> {
    const displayName = `${name} ${randomBytes(2).toString('hex')}`;
    const { register } = await run(apolloClient(stack!.graphqlUrl), RegisterDocument, { username: unique(name), password: PASSWORD, displayName });
    return { id: register.user.id, displayName, token: register.token, client: apolloClient(stack!.graphqlUrl, register.token) };
  }

  function connect(authorization: string | undefined, url = wsUrl(), webSocketImpl: unknown = WebSocket): { client: Client; closed: Promise<number | undefined> } {
    let closedWith: (code: number | undefined) => void = () => undefined;
    const closed = new Promise<number | undefined>((resolve) => (closedWith = resolve));
    const client = createClient({
      url,
      webSocketImpl,
      connectionParams: authorization === undefined ? {} : { authorization },
      retryAttempts: 0,
      lazy: false,
      // A refused connection is what some tests expect; its close code is read from `closed` below.
      onNonLazyError: () => undefined,
      on: { closed: (event) => closedWith((event as { code?: number }).code) },
    });
    clients.push(client);
    return { client, closed };
  }

  /**
   * Subscribes with a typed document (or, with `query`, another selection read as that document's result) and
   * resolves once the server acknowledged the connection (the subscription is then registered).
   */
  async function follow<TData, TVariables extends Record<string, unknown>, T>(
    person: Person,
    operation: { document: TypedDocumentNode<TData, TVariables>; variables: TVariables; query?: string },
    pick: (data: TData) => T,
    connection: { url?: string; webSocketImpl?: unknown; terminateAfter?: number } = {},
  ): Promise<Live<T>> {
    const { client, closed } = connect(`Bearer ${person.token}`, connection.url, connection.webSocketImpl);
    const events: T[] = [];
    const receivedAt: number[] = [];
    const errors: unknown[] = [];
    const cut: Live<T>['cut'] = {};
    await new Promise<void>((resolve, reject) => {
      client.on('connected', () => resolve());
      client.on('closed', (event) => reject(new Error(`closed before connecting: ${(event as { code?: number }).code}`)));
    });
    const dispose = client.subscribe<TData>(
      { query: operation.query ?? print(operation.document), variables: operation.variables },
      {
        next: (result: ExecutionResult<TData>) => {
          // A client that cut the socket handles nothing after it. (graphql-ws still calls `next` for the messages
          // that arrived in the same read as the one that triggered the cut: under load a whole burst can, and then
          // nothing is left for a resume to replay.)
          if (cut.errors !== undefined) return;
          if (result.errors) errors.push(...result.errors);
          if (result.data) {
            events.push(pick(result.data));
            receivedAt.push(Date.now());
          }
          // Cut off right at this many events, not at the next poll (by then a whole burst may have arrived).
          if (events.length === connection.terminateAfter) {
            cut.errors = [...errors];
            client.terminate();
          }
        },
        error: (error) => errors.push(error),
        complete: () => undefined,
      },
    );
    // The subscribe message reaches the server before the next operation is sent over HTTP only if we give it a moment.
    await new Promise((r) => setTimeout(r, 300));
    return { client, events, receivedAt, errors, closed, dispose: async () => dispose(), cut };
  }

  /** messageStatusChanged of the suite's conversation (or another), with the typed document's selection unless `query` says otherwise. */
  function watch(
    person: Person,
    url?: string,
    options: { conversation?: string; after?: string; query?: string; webSocketImpl?: unknown; terminateAfter?: number } = {},
  ): Promise<Watch> {
    const variables = { conversationId: options.conversation ?? conversationId, ...(options.after !== undefined && { after: options.after }) };
    const operation = { document: MessageStatusChangedDocument, variables, ...(options.query !== undefined && { query: options.query }) };
    const connection = { ...(url !== undefined && { url }), webSocketImpl: options.webSocketImpl, ...(options.terminateAfter !== undefined && { terminateAfter: options.terminateAfter }) };
    return follow(person, operation, (data) => data.messageStatusChanged, connection);
  }

  /** myEvents: every event of every conversation the person belongs to (after `after`, when given). */
  const myEvents = (person: Person, after?: string, terminateAfter?: number): Promise<Live<MyEvent>> =>
    follow(person, { document: MyEventsDocument, variables: after === undefined ? {} : { after } }, (data) => data.myEvents, { ...(terminateAfter !== undefined && { terminateAfter }) });

  async function until(condition: () => boolean, what: string, seen: () => unknown, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; seen: ${JSON.stringify(seen())}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    stack = await startStack(mode);
    // The connector asks the files subgraph for links when a backlog message carries a file.
    if (mode === 'engines') {
      workers = await startWorkers({
        CASSANDRA_KEYSPACE: E2E_KEYSPACE,
        IDENTITY_SIGNING_KEY: stack.secrets.IDENTITY_SIGNING_KEY,
        SUBGRAPH_FILES_URL: `${stack.origins.files}/graphql`,
      });
    }
    alice = await register('alice');
    outsider = await register('outsider');
    const created = await run(alice.client, CreateConversationDocument, { title, memberIds: [] });
    conversationId = created.createConversation.id;
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await workers?.stop();
    await stack?.stop();
  });

  it('a member sees SENT, DELIVERED then READ for a message it sends, with federated fields resolved', async () => {
    const live = await watch(alice);
    const content = unique('hello live');
    const { sendMessage } = await run(alice.client, SendMessageDocument, { conversationId, content });
    await until(() => live.events.filter((e) => e.message.id === sendMessage.id).some((e) => e.message.status === 'READ') || live.errors.length > 0, 'READ', () => live);
    expect(live.errors).toEqual([]);
    const mine = live.events.filter((e) => e.message.id === sendMessage.id);
    expect(mine.map((e) => e.message.status)).toEqual(['SENT', 'DELIVERED', 'READ']);
    expect(mine.map((e) => e.previousStatus)).toEqual([null, 'SENT', 'DELIVERED']);
    for (const event of mine) {
      expect(event.message).toMatchObject({ content, sender: { id: alice.id, displayName: alice.displayName }, conversation: { id: conversationId, title } });
      expect(typeof event.cursor).toBe('string');
      // A position vector: one entry per partition of messages.status.
      expect(Buffer.from(event.cursor, 'base64url').toString('utf8')).toMatch(/^p1:(-1|\d+)(\.(-1|\d+))*$/);
    }
    expect(new Set(mine.map((e) => e.cursor)).size).toBe(3);
    await live.dispose();
  });

  it('several subscribers holding the same selection cost one resolution per event, not one per subscriber (gateway /metrics)', async () => {
    const [bea, cid] = await Promise.all([register('bea'), register('cid')]);
    const shared = await run(alice.client, CreateConversationDocument, { title: unique('shared'), memberIds: [bea.id, cid.id] });
    const sharedId = shared.createConversation.id;
    const { body } = await uploadFile(stack!.graphqlUrl, alice.token, { bytes: Buffer.from(unique('attachment')), filename: 'note.txt', contentType: 'text/plain' });
    expect(body.errors).toBeUndefined();
    // The selection: fields of all three subgraphs, plus the ones the event carries.
    const query = `subscription ($conversationId: ID!) { messageStatusChanged(conversationId: $conversationId) { previousStatus cursor
      message { id status content sender { id displayName } attachment { url } conversation { id title } } } }`;
    const watches = await Promise.all([alice, bea, cid].map((person) => watch(person, undefined, { conversation: sharedId, query })));
    const gateway = stack!.origins.gateway;
    const counters = async () => ({
      resolutions: await readMetric(gateway, 'chat4all_subscription_resolutions_total', { outcome: 'ok' }),
      messages: await readMetric(gateway, 'chat4all_subscription_subgraph_fetches_total', { subgraph: 'messages' }),
      users: await readMetric(gateway, 'chat4all_subscription_subgraph_fetches_total', { subgraph: 'users' }),
      files: await readMetric(gateway, 'chat4all_subscription_subgraph_fetches_total', { subgraph: 'files' }),
    });
    const before = await counters();
    const { sendMessage } = await run(alice.client, SendMessageDocument, { conversationId: sharedId, content: unique('shared'), fileId: body.data!.uploadFile.id });
    for (const w of watches) await until(() => w.events.some((e) => e.message.id === sendMessage.id && e.message.status === 'READ') || w.errors.length > 0, 'READ for every subscriber', () => w);
    const after = await counters();
    for (const w of watches) {
      expect(w.errors).toEqual([]);
      expect(w.events).toEqual(watches[0]!.events);
    }
    const events = watches[0]!.events as (Event & { message: { attachment: { url: string } | null } })[];
    expect(events.map((e) => e.message.status)).toEqual(['SENT', 'DELIVERED', 'READ']);
    for (const event of events) {
      expect(event.message).toMatchObject({ sender: { id: alice.id, displayName: alice.displayName }, conversation: { id: sharedId, title: shared.createConversation.title } });
      expect(event.message.attachment?.url).toMatch(/^http/);
    }
    // Three events, three subscribers: three resolutions. Each costs the plan's fetches once: users once (the sender),
    // files once (the attachment), messages one _entities fetch for content, the conversation's title (shared with
    // users) and the sender's and file's ids. Every event is published after its message is stored, so that fetch is
    // never retried.
    expect(after.resolutions - before.resolutions).toBe(3);
    expect(after.users - before.users).toBe(3);
    expect(after.files - before.files).toBe(3);
    expect(after.messages - before.messages).toBe(3);
    await Promise.all(watches.map((w) => w.dispose()));
  });

  it('a missing or bad token is refused with 4403 Forbidden', async () => {
    const bad = connect('Bearer not-a-token');
    expect(await bad.closed).toBe(4403);
    const missing = connect(undefined);
    expect(await missing.closed).toBe(4403);
  });

  it('a non-member subscribed to the conversation receives nothing while a member receives its events', async () => {
    const stranger = await watch(outsider);
    const member = await watch(alice);
    const { sendMessage } = await run(alice.client, SendMessageDocument, { conversationId, content: unique('members only') });
    await until(() => member.events.some((e) => e.message.id === sendMessage.id && e.message.status === 'READ'), 'the member to see READ', () => member);
    // The non-member's subscription got the same Kafka events in the same gateway; give it the same time again.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(stranger.events).toEqual([]);
    expect(stranger.errors).toEqual([]);
    await Promise.all([stranger.dispose(), member.dispose()]);
  });

  it('a member added to the conversation starts receiving its events without reconnecting, once the change is announced', async () => {
    const newcomer = await register('newcomer');
    const watching = await watch(newcomer);
    const added = Date.now();
    await run(alice.client, AddConversationMemberDocument, { conversationId, userId: newcomer.id });
    // The gateway's cached "not a member" answer is dropped when the change is announced.
    const bound = MEMBERSHIP_BOUND_MS;
    while (watching.events.length === 0 && Date.now() - added < bound + 5_000) {
      await run(alice.client, SendMessageDocument, { conversationId, content: unique('welcome') });
      await new Promise((r) => setTimeout(r, 500));
    }
    // When the first event arrived, not when this loop next looked (a send and half a second later, on a busy machine
    // easily 1-2 s of the bound).
    const firstSeenAt = watching.receivedAt[0];
    expect(watching.errors).toEqual([]);
    expect(firstSeenAt).toBeDefined();
    expect(firstSeenAt! - added).toBeLessThanOrEqual(bound);
    expect(watching.events[0]!.message.conversation).toEqual({ id: conversationId, title });
    await watching.dispose();
  });

  it('a removed member stops receiving the conversation\'s events without reconnecting, once the change is announced', async () => {
    const leaver = await register('leaver');
    await run(alice.client, AddConversationMemberDocument, { conversationId, userId: leaver.id });
    // A selection of its own, so its events are resolved as the leaver (never shared with the remaining member's).
    const removedOne = await watch(leaver, undefined, {
      query: 'subscription ($conversationId: ID!) { messageStatusChanged(conversationId: $conversationId) { previousStatus cursor message { id status content conversation { id } } } }',
    });
    const control = await watch(alice);
    let socketClosed = false;
    void removedOne.closed.then(() => (socketClosed = true));
    // First it sees the conversation's events (once the gateway's cached member list has caught up with the add): the
    // subscription works and the gateway holds a "member" answer for it.
    const addedAt = Date.now();
    while (removedOne.events.length === 0 && Date.now() - addedAt < 15_000) {
      await run(alice.client, SendMessageDocument, { conversationId, content: unique('before removal') });
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(removedOne.events.length).toBeGreaterThan(0);

    const removedAt = Date.now();
    const { removeConversationMember } = await run(alice.client, RemoveConversationMemberDocument, { conversationId, userId: leaver.id });
    expect(removeConversationMember.members.map((m) => m.id)).not.toContain(leaver.id);
    // The gateway's cached "member" answer was taken when the leaver's first event arrived, just before; it and the
    // messages subgraph's are dropped when the removal is announced, and the next event asks the users subgraph afresh.
    const bound = MEMBERSHIP_BOUND_MS;
    const sentAfterBound: string[] = [];
    let atBound: { events: number; errors: number } | undefined;
    while (Date.now() - removedAt < bound + 5_000) {
      const sentAt = Date.now();
      if (sentAt - removedAt > bound) atBound ??= { events: removedOne.events.length, errors: removedOne.errors.length };
      const { sendMessage } = await run(alice.client, SendMessageDocument, { conversationId, content: unique('after removal') });
      if (sentAt - removedAt > bound) sentAfterBound.push(sendMessage.id);
      await new Promise((r) => setTimeout(r, 500));
    }
    const last = sentAfterBound.at(-1);
    expect(last).toBeDefined();
    // The remaining member gets every event of those messages, so the events did flow through this gateway.
    await until(() => control.events.some((e) => e.message.id === last && e.message.status === 'READ'), 'the remaining member to see READ', () => control);
    await new Promise((r) => setTimeout(r, 1_000));

    // Nothing at all reached the removed member after the bound: no event, no error, of any message.
    expect({ events: removedOne.events.length, errors: removedOne.errors.length }).toEqual(atBound);
    const late = new Set(sentAfterBound);
    expect(removedOne.events.filter((e) => late.has(e.message.id))).toEqual([]);
    expect(control.events.filter((e) => late.has(e.message.id) && e.message.status === 'SENT')).toHaveLength(late.size);
    // Not even while the gateway's cache still called it a member: an event the messages subgraph refused it was
    // dropped, never delivered as an error.
    expect(removedOne.errors).toEqual([]);
    expect(socketClosed).toBe(false);
    await Promise.all([removedOne.dispose(), control.dispose()]);
  });

  /**
   * From `removedAt`, sends into the conversation every 500 ms until well past MEMBERSHIP_BOUND_MS, then checks that
   * nothing at all reached `removed` after the bound (no event, no error, of any message) while `control` saw every
   * message sent in that time, so those events did flow through this gateway.
   */
  async function expectNothingAfterBound(removed: Live<StatusEvent>, control: Live<StatusEvent>, conversation: string, removedAt: number): Promise<void> {
    const sentAfterBound: string[] = [];
    let atBound: { events: number; errors: number } | undefined;
    while (Date.now() - removedAt < MEMBERSHIP_BOUND_MS + 3_000) {
      const sentAt = Date.now();
      const afterBound = sentAt - removedAt > MEMBERSHIP_BOUND_MS;
      if (afterBound) atBound ??= { events: removed.events.length, errors: removed.errors.length };
      const { sendMessage } = await run(alice.client, SendMessageDocument, { conversationId: conversation, content: unique('after removal') });
      if (afterBound) sentAfterBound.push(sendMessage.id);
      await sleep(500);
    }
    const last = sentAfterBound.at(-1);
    expect(last).toBeDefined();
    await until(() => control.events.some((e) => e.message.id === last && e.message.status === 'READ'), 'the remaining member to see READ', () => control.events.length);
    await sleep(1_000); // room for a late event to show
    expect({ events: removed.events.length, errors: removed.errors.length }).toEqual(atBound);
    const late = new Set(sentAfterBound);
    expect(removed.events.filter((e) => late.has(e.message.id))).toEqual([]);
    expect(control.events.filter((e) => late.has(e.message.id) && e.message.status === 'SENT')).toHaveLength(late.size);
    expect(removed.errors).toEqual([]);
  }

  it('a removed member holding the same selection as a remaining member gets nothing once the removal is announced', async () => {
    const sharer = await register('sharer');
    const created = await run(alice.client, CreateConversationDocument, { title: unique('shared selection'), memberIds: [sharer.id] });
    const shared = created.createConversation.id;
    // The same document and variables: one selection, each event resolved once for both (as whichever reaches it first).
    const removedOne = await watch(sharer, undefined, { conversation: shared });
    const control = await watch(alice, undefined, { conversation: shared });
    let socketClosed = false;
    void removedOne.closed.then(() => (socketClosed = true));
    const { sendMessage } = await run(alice.client, SendMessageDocument, { conversationId: shared, content: unique('before removal') });
    // Each socket gets its copy in its own time: wait for READ on both before comparing them.
    for (const [who, w] of [['sharer', removedOne], ['remaining member', control]] as const) {
      await until(() => w.events.some((e) => e.message.id === sendMessage.id && e.message.status === 'READ'), `READ before the removal (${who})`, () => w);
    }
    // Both now hold one resolution per event, and the gateway a cached "member" answer for the sharer.
    expect(removedOne.events).toEqual(control.events.filter((e) => e.message.id === sendMessage.id));

    const removedAt = Date.now();
    await run(alice.client, RemoveConversationMemberDocument, { conversationId: shared, userId: sharer.id });
    await expectNothingAfterBound(removedOne, control, shared, removedAt);
    expect(socketClosed).toBe(false);
    await Promise.all([removedOne.dispose(), control.dispose()]);
  });

  // Real engines only: an embedded data folder belongs to one process, so embedded runs one gateway by design.
  if (mode === 'engines') it('two gateway instances at once: subscribers on each receive every event of the conversation', async () => {
    const bob = await register('bob');
    await run(alice.client, AddConversationMemberDocument, { conversationId, userId: bob.id });
    const second = await startSecondGateway({
      ...stack!.secrets,
      SUBGRAPH_USERS_URL: `${stack!.origins.users}/graphql`,
      SUBGRAPH_MESSAGES_URL: `${stack!.origins.messages}/graphql`,
      SUBGRAPH_FILES_URL: `${stack!.origins.files}/graphql`,
    });
    try {
      const onFirst = await watch(alice);
      const onSecond = await watch(bob, second.graphqlUrl.replace(/^http/, 'ws'));
      const { sendMessage } = await run(alice.client, SendMessageDocument, { conversationId, content: unique('both instances') });
      const readBy = (w: Watch) => () => w.events.some((e) => e.message.id === sendMessage.id && e.message.status === 'READ');
      await until(readBy(onFirst), 'READ on the first gateway', () => onFirst);
      await until(readBy(onSecond), 'READ on the second gateway', () => onSecond);
      for (const w of [onFirst, onSecond]) {
        expect(w.errors).toEqual([]);
        expect(w.events.filter((e) => e.message.id === sendMessage.id).map((e) => e.message.status)).toEqual(['SENT', 'DELIVERED', 'READ']);
      }
      await Promise.all([onFirst.dispose(), onSecond.dispose()]);
    } finally {
      await second.stop();
    }
  });

  it('Apollo Client with GraphQLWsLink and the typed document sees SENT, DELIVERED, READ', async () => {
    const { client: wsClient } = connect(`Bearer ${alice.token}`);
    await new Promise<void>((resolve) => wsClient.on('connected', () => resolve()));
    const apollo = new ApolloClientClass({ link: new GraphQLWsLink(wsClient), cache: new InMemoryCache() });
    const events: Event[] = [];
    const errors: unknown[] = [];
    const subscription = apollo
      .subscribe({ query: MessageStatusChangedDocument, variables: { conversationId }, fetchPolicy: 'no-cache' })
      .subscribe({
        next: (result) => {
          if (result.error) errors.push(result.error);
          if (result.data) events.push(result.data.messageStatusChanged);
        },
        error: (error: unknown) => errors.push(error),
      });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const { sendMessage } = await run(alice.client, SendMessageDocument, { conversationId, content: unique('apollo') });
      await until(() => events.some((e) => e.message.id === sendMessage.id && e.message.status === 'READ') || errors.length > 0, 'READ via Apollo', () => ({ events, errors }));
      expect(errors).toEqual([]);
      const mine = events.filter((e) => e.message.id === sendMessage.id);
      expect(mine.map((e) => [e.previousStatus, e.message.status])).toEqual([
        [null, 'SENT'],
        ['SENT', 'DELIVERED'],
        ['DELIVERED', 'READ'],
      ]);
      expect(mine[2]!.message.sender.displayName).toBe(alice.displayName);
    } finally {
      subscription.unsubscribe();
    }
  });
  /** Per message of `ids`, the statuses seen (in order) with their previousStatus, over several watches. */
  const lifecycles = (ids: string[], ...watches: Live<StatusEvent>[]) =>
    Object.fromEntries(ids.map((id) => [id, watches.flatMap((w) => w.events).filter((e) => e.message.id === id).map((e) => `${e.previousStatus}>${e.message.status}`)]));
  const complete = (ids: string[]) => Object.fromEntries(ids.map((id) => [id, ['null>SENT', 'SENT>DELIVERED', 'DELIVERED>READ']]));
  const sendBurst = (count: number, content: (i: number) => string) =>
    Promise.all(Array.from({ length: count }, (_, i) => run(alice.client, SendMessageDocument, { conversationId, content: content(i) }).then((r) => r.sendMessage.id)));

  it('a client disconnected in the middle of a burst resumes with its last cursor: every SENT, DELIVERED, READ of every message once, in order', async () => {
    // Cut off right at a third of the burst's 60 events (at the next poll the whole burst may have arrived, leaving
    // nothing to resume); the rest keeps flowing meanwhile.
    const first = await watch(alice, undefined, { terminateAfter: 20 });
    const count = 20;
    const sending = sendBurst(count, (i) => unique(`burst ${i}`));
    await until(() => first.events.length >= 20, 'a third of the burst', () => first.events.length);
    const seenBeforeCut = first.events.length;
    const last = first.events.at(-1)!.cursor;
    const ids = await sending;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(first.events.length).toBe(seenBeforeCut);

    const resumed = await watch(alice, undefined, { after: last });
    const readSeen = (...watches: Watch[]) => () => ids.every((id) => watches.some((w) => w.events.some((e) => e.message.id === id && e.message.status === 'READ')));
    await until(() => readSeen(first, resumed)() || resumed.errors.length > 0, 'every message READ, before or after the resume', () => resumed.events.length);
    await new Promise((r) => setTimeout(r, 1_000)); // room for a duplicate to show
    expect(resumed.errors).toEqual([]);
    expect(lifecycles(ids, first, resumed)).toEqual(complete(ids));
    expect(resumed.events.length).toBeGreaterThan(0);
    // Only this burst happened after the cut: the replay holds nothing else and nothing twice.
    expect(resumed.events.every((e) => ids.includes(e.message.id))).toBe(true);
    await resumed.dispose();
  });

  it('a cursor that is not one of ours is BAD_USER_INPUT; one before the retained log or ahead of it is CURSOR_EXPIRED', async () => {
    // The error's extensions (graphql-ws hands a refused operation's errors over as a list).
    const refusal = async (after: string) => {
      const w = await watch(alice, undefined, { after });
      await until(() => w.errors.length > 0, 'an error', () => w);
      expect(w.events).toEqual([]);
      const first: unknown = Array.isArray(w.errors[0]) ? w.errors[0][0] : w.errors[0];
      return (first as { extensions?: unknown }).extensions;
    };
    expect(await refusal('not-a-cursor')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });

    // A real cursor, taken from an event.
    const live = await watch(alice);
    await sendBurst(2, (i) => unique(`cursor ${i}`));
    await until(() => live.events.length >= 2, 'two events', () => live);
    await live.dispose();
    const position = Buffer.from(live.events.at(-1)!.cursor, 'base64url').toString().slice('p1:'.length).split('.').map(BigInt);
    const cursorOf = (entries: bigint[]) => Buffer.from(`p1:${entries.join('.')}`).toString('base64url');
    expect(await refusal(cursorOf(position.map((o) => o + 1_000_000n)))).toMatchObject({ code: 'CURSOR_EXPIRED', field: 'after' });

    // Before the retained log (Kafka only: the embedded log keeps every record, so nothing is ever before it): records 0
    // and 1 of one partition deleted (as retention would), a cursor at offset 0 there.
    if (mode === 'engines') {
      const kafka = createKafkaClient(loadConfig(z.object(kafkaEnv)), createLogger('e2e-kafka', 'silent'));
      const admin = kafka.admin();
      await admin.connect();
      try {
        const offsets = await admin.fetchTopicOffsets(TOPICS.messagesStatus);
        const partition = offsets.find((o) => BigInt(o.high) >= 2n)!;
        if (BigInt(partition.low) < 2n) await admin.deleteTopicRecords({ topic: TOPICS.messagesStatus, partitions: [{ partition: partition.partition, offset: '2' }] });
        const expired = offsets.sort((a, b) => a.partition - b.partition).map((o) => (o.partition === partition.partition ? 0n : BigInt(o.high) - 1n));
        expect(await refusal(cursorOf(expired))).toMatchObject({ code: 'CURSOR_EXPIRED', field: 'after' });
      } finally {
        await admin.disconnect();
      }
    }
  });

  // Real engines only: it needs a second gateway instance (with a small queue), see above.
  if (mode === 'engines') it('a subscriber that stops reading is closed with 4429 and resumes with the cursor of the last event it got', async () => {
    // A second instance with small bounds (10 queued events, 64 KiB unsent per socket), and events of about 80 KB (20
    // aliases of a 4000-character content). How much a paused client's kernel buffers take in before the gateway's
    // own bound is reached depends on the machine's TCP settings (autotuned, up to tens of MB on loopback), so the
    // test keeps sending bursts until the second gateway's /metrics counts the close, instead of guessing a size.
    const second = await startSecondGateway({
      ...stack!.secrets,
      SUBGRAPH_USERS_URL: `${stack!.origins.users}/graphql`,
      SUBGRAPH_MESSAGES_URL: `${stack!.origins.messages}/graphql`,
      SUBGRAPH_FILES_URL: `${stack!.origins.files}/graphql`,
      SUBSCRIPTION_BUFFER: '10',
      SUBSCRIPTION_MAX_SOCKET_BUFFER_BYTES: String(64 * 1024),
    });
    try {
      const secondWs = second.graphqlUrl.replace(/^http/, 'ws');
      const secondOrigin = new URL(second.graphqlUrl).origin;
      const tooSlowCloses = async () =>
        (await readMetric(secondOrigin, 'chat4all_subscription_too_slow_closes_total', { reason: 'socket_buffer' })) +
        (await readMetric(secondOrigin, 'chat4all_subscription_too_slow_closes_total', { reason: 'queue' }));
      const sockets: WebSocket[] = [];
      class PausableWebSocket extends WebSocket {
        constructor(...args: ConstructorParameters<typeof WebSocket>) {
          super(...args);
          sockets.push(this);
        }
      }
      const aliases = Array.from({ length: 20 }, (_, i) => `c${i}: content`).join(' ');
      const big = `subscription ($conversationId: ID!) { messageStatusChanged(conversationId: $conversationId) { previousStatus cursor message { id status ${aliases} } } }`;
      const slow = await watch(alice, secondWs, { query: big, webSocketImpl: PausableWebSocket });
      const control = await watch(alice);
      const readBy = (ids: string[], ...watches: Watch[]) => () => ids.every((id) => watches.some((w) => w.events.some((e) => e.message.id === id && e.message.status === 'READ')));
      // Warm-up: the big selection is delivered (and the client holds a cursor from before the bursts).
      const warmUp = await sendBurst(1, () => 'w'.repeat(4000));
      await until(readBy(warmUp, slow), 'the warm-up READ on the slow client', () => ({ events: slow.events.length, errors: slow.errors }));
      expect(slow.errors).toEqual([]);
      expect(await tooSlowCloses()).toBe(0);
      // ws keeps its TCP socket private; pausing it is how a client that stops reading looks to the server.
      const tcp = (sockets[0] as unknown as { _socket: Socket })._socket;
      tcp.pause();
      const ids: string[] = [];
      // Bursts of 10 messages (30 events, ~2.4 MB for the slow client) until the gateway closes it; 20 bursts (48 MB)
      // outgrow any kernel buffering, so a gateway that never closes a client that does not read fails here.
      for (let burst = 1; (await tooSlowCloses()) === 0; burst++) {
        if (burst > 20) throw new Error(`the second gateway never closed the paused subscriber after ${ids.length} messages`);
        ids.push(...(await sendBurst(10, () => 'x'.repeat(4000))));
        await until(readBy(ids, control), `burst ${burst} READ`, () => control.events.length, 60_000);
      }
      tcp.resume(); // what was sent before the close arrives, then the close frame
      expect(await slow.closed).toBe(4429);
      const sawOfBursts = slow.events.filter((e) => ids.includes(e.message.id)).length;
      expect(sawOfBursts).toBeLessThan(3 * ids.length);

      const resumed = await watch(alice, secondWs, { after: slow.events.at(-1)!.cursor });
      await until(readBy(ids, slow, resumed), 'every message READ, before or after the resume', () => resumed.events.length);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(resumed.errors).toEqual([]);
      expect(lifecycles(ids, slow, resumed)).toEqual(complete(ids));
      expect(resumed.events.every((e) => ids.includes(e.message.id))).toBe(true);
      await Promise.all([resumed.dispose(), control.dispose()]);
    } finally {
      await second.stop();
    }
  });

  it('messageAdded: each message sent arrives once, in send order, with federated fields', async () => {
    const created = await run(alice.client, CreateConversationDocument, { title: unique('added'), memberIds: [] });
    const added = created.createConversation;
    const watching = await follow(alice, { document: MessageAddedDocument, variables: { conversationId: added.id } }, (data) => data.messageAdded);
    const sent: { id: string; content: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const content = unique(`added ${i}`);
      const { sendMessage } = await run(alice.client, SendMessageDocument, { conversationId: added.id, content });
      sent.push({ id: sendMessage.id, content });
    }
    await until(() => sent.every((m) => watching.events.some((e) => e.id === m.id)) || watching.errors.length > 0, 'every message added', () => watching);
    // Each message reaches READ in this time: none of its later statuses may show as another messageAdded.
    await sleep(2_000);
    expect(watching.errors).toEqual([]);
    expect(watching.events.map((e) => e.id)).toEqual(sent.map((m) => m.id));
    watching.events.forEach((event, i) => {
      expect(event).toEqual({ id: sent[i]!.id, content: sent[i]!.content, status: 'SENT', sender: { id: alice.id, displayName: alice.displayName }, conversation: { id: added.id, title: added.title } });
    });
    await watching.dispose();
  });

  describe('myEvents', () => {
    /** A fresh person in a fresh conversation A (with alice), and a conversation B of alice's it is not in. */
    async function memberOfAOnly(): Promise<{ person: Person; a: string; b: string }> {
      const person = await register('mia');
      const [a, b] = await Promise.all([
        run(alice.client, CreateConversationDocument, { title: unique('A'), memberIds: [person.id] }),
        run(alice.client, CreateConversationDocument, { title: unique('B'), memberIds: [] }),
      ]);
      return { person, a: a.createConversation.id, b: b.createConversation.id };
    }
    const send = (conversation: string, content = unique('my events')) => run(alice.client, SendMessageDocument, { conversationId: conversation, content }).then((r) => r.sendMessage.id);
    const readIn = (id: string, ...watches: Live<StatusEvent>[]) => () => watches.some((w) => w.events.some((e) => e.message.id === id && e.message.status === 'READ'));

    it("a subscriber in conversation A but not B receives A's SENT, DELIVERED, READ and nothing of B", async () => {
      const { person, a, b } = await memberOfAOnly();
      const mine = await myEvents(person);
      const inB = await watch(alice, undefined, { conversation: b });
      const [inA, ofB] = await Promise.all([send(a), send(b)]);
      await until(() => readIn(inA, mine)() || mine.errors.length > 0, "A's READ", () => mine);
      await until(readIn(ofB, inB), "B's READ (for a member of B)", () => inB);
      await sleep(1_000); // room for an event of B to show
      expect(mine.errors).toEqual([]);
      expect(mine.events.map((e) => [e.message.conversation.id, e.message.id, e.previousStatus, e.message.status])).toEqual([
        [a, inA, null, 'SENT'],
        [a, inA, 'SENT', 'DELIVERED'],
        [a, inA, 'DELIVERED', 'READ'],
      ]);
      for (const event of mine.events) expect(event.message.sender).toEqual({ id: alice.id, displayName: alice.displayName });
      await Promise.all([mine.dispose(), inB.dispose()]);
    });

    it("added to B mid-subscription, it receives B's events within the membership bound without reconnecting; removed, it stops", async () => {
      const { person, a, b } = await memberOfAOnly();
      const mine = await myEvents(person);
      const control = await watch(alice, undefined, { conversation: b });
      let socketClosed = false;
      void mine.closed.then(() => (socketClosed = true));
      const ofB = () => mine.events.filter((e) => e.message.conversation.id === b);

      const addedAt = Date.now();
      await run(alice.client, AddConversationMemberDocument, { conversationId: b, userId: person.id });
      while (ofB().length === 0 && Date.now() - addedAt < MEMBERSHIP_BOUND_MS + 5_000) {
        await send(b, unique('welcome'));
        await sleep(500);
      }
      // When B's first event arrived, not when this loop next looked (see the test of a member added above).
      const firstOfB = mine.events.findIndex((e) => e.message.conversation.id === b);
      const firstSeenAt = firstOfB < 0 ? undefined : mine.receivedAt[firstOfB];
      expect(mine.errors).toEqual([]);
      expect(firstSeenAt).toBeDefined();
      expect(firstSeenAt! - addedAt).toBeLessThanOrEqual(MEMBERSHIP_BOUND_MS);

      const removedAt = Date.now();
      await run(alice.client, RemoveConversationMemberDocument, { conversationId: b, userId: person.id });
      await expectNothingAfterBound(mine, control, b, removedAt);
      // Still subscribed, on the same socket: A's events keep coming.
      const inA = await send(a);
      await until(() => readIn(inA, mine)() || mine.errors.length > 0, "A's READ after the removal from B", () => mine);
      expect(mine.errors).toEqual([]);
      expect(socketClosed).toBe(false);
      await Promise.all([mine.dispose(), control.dispose()]);
    });

    it('resumed with the cursor of the last event seen (cut off mid-burst), it gets every later event once, then live ones: no gap, no duplicate', async () => {
      const { person, a, b } = await memberOfAOnly();
      const first = await myEvents(person, undefined, 10);
      const inB = await watch(alice, undefined, { conversation: b });
      // A burst in A (30 events), with traffic in B interleaved: B's events are in the log the resume reads, never in its result.
      const sendingA = Promise.all(Array.from({ length: 10 }, (_, i) => send(a, unique(`burst ${i}`))));
      const sendingB = Promise.all(Array.from({ length: 5 }, (_, i) => send(b, unique(`elsewhere ${i}`))));
      await until(() => first.events.length >= 10 || first.errors.length > 0, 'a third of the burst', () => first.events.length);
      expect(first.cut.errors).toEqual([]); // from the cut on, the only error is the cut itself (4499 Terminated)
      const seenBeforeCut = first.events.length;
      const last = first.events.at(-1)!.cursor;
      const [ids, elsewhere] = await Promise.all([sendingA, sendingB]);
      await until(() => elsewhere.every((id) => readIn(id, inB)()), "B's READs", () => inB.events.length);
      await sleep(1_000);
      expect(first.events.length).toBe(seenBeforeCut);

      const resumed = await myEvents(person, last);
      await until(() => ids.every((id) => readIn(id, first, resumed)()) || resumed.errors.length > 0, 'every message READ, before or after the resume', () => resumed.events.length);
      // Then live: a message sent after the replay.
      const liveId = await send(a, unique('after the resume'));
      await until(() => readIn(liveId, resumed)() || resumed.errors.length > 0, 'the live message READ', () => resumed.events.length);
      await sleep(1_000); // room for a duplicate to show
      expect(resumed.errors).toEqual([]);
      const all = [...ids, liveId];
      expect(lifecycles(all, first, resumed)).toEqual(complete(all));
      expect(resumed.events.length).toBeGreaterThan(3);
      // Only A's messages were sent to it after the cut: nothing of B, nothing twice, in order per message (above).
      expect(resumed.events.every((e) => e.message.conversation.id === a && all.includes(e.message.id))).toBe(true);
      await Promise.all([resumed.dispose(), inB.dispose()]);
    });
  });
});
