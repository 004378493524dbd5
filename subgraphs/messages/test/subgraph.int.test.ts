import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  MessageAccepted,
  TOPICS,
  cassandraEnv,
  createKafkaBus,
  createLogger,
  decodeEvent,
  kafkaEnv,
  loadConfig,
  migrateKafka,
  signIdentity,
  startService,
  type EventBus,
  type OutgoingRecord,
  type RunningService,
  type Subscription,
} from '@chat4all/common';
import { CassandraSendClaimStore } from '../src/claims/cassandra';
import type { ConversationDirectory, FileDirectory } from '../src/peers/port';
import { messagesService } from '../src/server';
import { CassandraMessageStore } from '../src/store/cassandra';
import { messageIdTime } from '../src/store/ids';
import type { MessageStore } from '../src/store/port';
import { migrateCassandra } from '../src/store/migrate';

jest.setTimeout(120_000);

/**
 * The messages subgraph as it runs in production (bootstrap, Cassandra, Kafka producer, HTTP, signed identities), on
 * the real engines from `npm run infra:up`. Only the users and files subgraphs are stood in for, by small directories
 * implementing the same interfaces: those subgraphs are built elsewhere, and the end-to-end tests use the real ones.
 */
const KEY = 'messages-int-test-signing-key-0123456789';
const KEYSPACE = 'chat4all_test';
const MAX_CONTENT_LENGTH = 50;
const log = createLogger('messages-subgraph-test', 'silent');
const kafkaConfig = loadConfig(z.object(kafkaEnv));
const cassandraConfig = { ...loadConfig(z.object(cassandraEnv)), CASSANDRA_KEYSPACE: KEYSPACE };

class ConversationsDouble implements ConversationDirectory {
  readonly members = new Map<string, string[]>();
  async conversations(ids: readonly string[]) {
    return ids.map((id) => {
      const memberIds = this.members.get(id);
      return memberIds ? { memberIds, title: `Title of ${id}` } : null;
    });
  }
}
class FilesDouble implements FileDirectory {
  readonly owners = new Map<string, string>();
  async ownerIds(ids: readonly string[]) {
    return ids.map((id) => this.owners.get(id) ?? null);
  }
}

/** The real Kafka bus; `failNext` makes the next publish reject before it reaches Kafka (a broker outage). */
class FlakyBus implements EventBus {
  failNext = 0;
  constructor(private readonly inner: EventBus) {}
  async publish(topic: string, records: readonly OutgoingRecord[]) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('broker unavailable (test)');
    }
    return this.inner.publish(topic, records);
  }
  subscribe: EventBus['subscribe'] = (options) => this.inner.subscribe(options);
  offsets: EventBus['offsets'] = (topic) => this.inner.offsets(topic);
  read: EventBus['read'] = (options) => this.inner.read(options);
  close = () => this.inner.close();
}

/** The real Cassandra store, recording how it is read (to see the DataLoader batch entity lookups). */
function recording(store: MessageStore, getManyCalls: string[][]): MessageStore {
  return {
    insert: (m) => store.insert(m),
    get: (id) => store.get(id),
    getMany: (ids) => {
      getManyCalls.push([...ids]);
      return store.getMany(ids);
    },
    listByConversation: (id, options) => store.listByConversation(id, options),
    recordStatus: (...args) => store.recordStatus(...args),
    findByClientMessageId: (sender, client) => store.findByClientMessageId(sender, client),
    close: () => store.close(),
  };
}
const getManyCalls: string[][] = [];

const conversations = new ConversationsDouble();
const files = new FilesDouble();
let bus: FlakyBus;
let service: RunningService;
let url: string;
let claims: CassandraSendClaimStore;

// Every MessageAccepted seen on the real topic since the test started, by conversation.
const seen = new Map<string, { key: string; event: MessageAccepted }[]>();
let watcher: Subscription;
let watcherBus: EventBus;

beforeAll(async () => {
  await migrateCassandra(cassandraConfig, log);
  await migrateKafka(kafkaConfig, log);
  watcherBus = createKafkaBus(kafkaConfig, log);
  watcher = await watcherBus.subscribe({
    groupId: `messages-subgraph-test-${randomUUID()}`,
    topics: [TOPICS.messagesAccepted],
    fromBeginning: true,
    handler: async (record) => {
      // The topic is shared with every other suite and stack on this broker: skip what is not ours to judge.
      let event: MessageAccepted;
      try {
        event = decodeEvent(MessageAccepted, record.value);
      } catch {
        return;
      }
      const list = seen.get(event.conversationId) ?? [];
      list.push({ key: record.key, event });
      seen.set(event.conversationId, list);
    },
  });
  bus = new FlakyBus(createKafkaBus(kafkaConfig, log));
  claims = await CassandraSendClaimStore.connect(cassandraConfig);
  const store = recording(await CassandraMessageStore.connect(cassandraConfig), getManyCalls);
  service = await startService(messagesService({ conversations, files, bus, store }), {
    host: '127.0.0.1',
    env: {
      PORT: '0',
      LOG_LEVEL: 'silent',
      CASSANDRA_KEYSPACE: KEYSPACE,
      IDENTITY_SIGNING_KEY: KEY,
      MAX_CONTENT_LENGTH: String(MAX_CONTENT_LENGTH),
      // Membership changes below must be seen at once.
      MEMBERSHIP_CACHE_TTL_MS: '0',
      // The service's default. The concurrent-retries test needs the winner's claim and mark (LWTs the waiting retries
      // contend with) and its Kafka produce to finish within the lease, or a retry takes the claim over and produces the
      // message a second time; no test here waits for a lease to run out.
      SEND_CLAIM_LEASE_MS: '15000',
    },
  });
  url = `http://127.0.0.1:${service.port}`;
});

afterAll(async () => {
  await service?.stop();
  await watcher?.stop();
  await watcherBus?.close();
  await claims?.close();
});

interface User {
  userId: string;
  username: string;
}
const newUser = (): User => ({ userId: randomUUID(), username: `user-${randomUUID().slice(0, 8)}` });

function conversationWith(...users: User[]): string {
  const id = randomUUID();
  conversations.members.set(id, users.map((u) => u.userId));
  return id;
}

interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

async function gql<T = Record<string, unknown>>(
  query: string,
  variables: Record<string, unknown>,
  as: User | { service: string } | null,
  key = KEY,
): Promise<GraphQLResult<T>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(as ? signIdentity(as, key) : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as Omit<GraphQLResult<T>, 'status'>) };
}

const codes = (result: GraphQLResult) => result.errors?.map((e) => e.extensions?.code);

const SEND = `mutation ($conversationId: ID!, $content: String, $fileId: ID, $clientMessageId: String) {
  sendMessage(conversationId: $conversationId, content: $content, fileId: $fileId, clientMessageId: $clientMessageId) {
    id content status createdAt channel failureReason
    statusHistory { status at }
    sender { id } conversation { id } attachment { id }
  }
}`;

interface SentMessage {
  id: string;
  content: string | null;
  status: string;
  createdAt: string;
  statusHistory: { status: string; at: string }[];
  sender: { id: string };
  conversation: { id: string };
  attachment: { id: string } | null;
}

async function send(as: User, variables: Record<string, unknown>): Promise<SentMessage> {
  const result = await gql<{ sendMessage: SentMessage }>(SEND, variables, as);
  if (!result.data?.sendMessage) throw new Error(`send failed: ${JSON.stringify(result.errors)}`);
  return result.data.sendMessage;
}

/** Waits until `count` events of the conversation are on the topic, then a little longer to catch any extra one. */
async function eventsOf(conversationId: string, count: number, settleMs = 1500): Promise<{ key: string; event: MessageAccepted }[]> {
  const deadline = Date.now() + 30_000;
  while ((seen.get(conversationId)?.length ?? 0) < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} event(s) for ${conversationId}, saw ${seen.get(conversationId)?.length ?? 0}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  return seen.get(conversationId) ?? [];
}

const HISTORY = `query ($reps: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $reps) {
    ... on Conversation { messages(first: $first, after: $after) { edges { cursor node { id content status sender { id } } } pageInfo { hasNextPage endCursor } } }
  }
}`;

interface HistoryPage {
  edges: { cursor: string; node: { id: string; content: string; status: string; sender: { id: string } } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

function history(as: User | null, conversationId: string, first?: number, after?: string | null) {
  return gql<{ _entities: ({ messages: HistoryPage } | null)[] }>(
    HISTORY,
    { reps: [{ __typename: 'Conversation', id: conversationId }], first, after },
    as,
  );
}

describe('sendMessage', () => {
  it('accepts a text message as SENT, produces MessageAccepted keyed by conversation, and shows it in history at once', async () => {
    const alice = newUser();
    const conv = conversationWith(alice, newUser());
    const message = await send(alice, { conversationId: conv, content: 'hello bob' });

    expect(message.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(message).toMatchObject({
      content: 'hello bob',
      status: 'SENT',
      channel: null,
      failureReason: null,
      sender: { id: alice.userId },
      conversation: { id: conv },
      attachment: null,
    });
    expect(message.createdAt).toBe(new Date(messageIdTime(message.id)).toISOString());
    expect(message.statusHistory).toEqual([{ status: 'SENT', at: message.createdAt }]);

    const events = await eventsOf(conv, 1);
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({
      key: conv,
      event: { version: 1, messageId: message.id, conversationId: conv, senderId: alice.userId, content: 'hello bob', createdAt: message.createdAt },
    });

    const page = await history(alice, conv, 10);
    expect(page.data?._entities[0]?.messages.edges.map((e) => [e.node.id, e.node.content, e.node.status])).toEqual([
      [message.id, 'hello bob', 'SENT'],
    ]);

    const read = await gql<{ message: { id: string; content: string } }>('query ($id: ID!) { message(id: $id) { id content } }', { id: message.id }, alice);
    expect(read.data?.message).toEqual({ id: message.id, content: 'hello bob' });
  });

  it('accepts a file of the sender, answering with an attachment stub for the gateway', async () => {
    const alice = newUser();
    const conv = conversationWith(alice);
    const fileId = randomUUID();
    files.owners.set(fileId, alice.userId);
    const message = await send(alice, { conversationId: conv, fileId });
    expect(message).toMatchObject({ content: null, attachment: { id: fileId }, status: 'SENT' });
    const [only] = await eventsOf(conv, 1, 0);
    expect(only?.event).toMatchObject({ messageId: message.id, fileId });
    expect(only?.event.content).toBeUndefined();
  });

  it('returns the same message for the same sender and clientMessageId, producing one event', async () => {
    const alice = newUser();
    const conv = conversationWith(alice);
    const clientMessageId = `c-${randomUUID()}`;
    const first = await send(alice, { conversationId: conv, content: 'once', clientMessageId });
    const again = await send(alice, { conversationId: conv, content: 'once', clientMessageId });
    expect(again.id).toBe(first.id);
    expect(again.createdAt).toBe(first.createdAt);

    // Another sender's identical clientMessageId is another message.
    const bob = newUser();
    conversations.members.get(conv)?.push(bob.userId);
    const bobs = await send(bob, { conversationId: conv, content: 'mine', clientMessageId });
    expect(bobs.id).not.toBe(first.id);

    const events = await eventsOf(conv, 2);
    expect(events.map((e) => e.event.messageId).sort()).toEqual([first.id, bobs.id].sort());
    expect(events.find((e) => e.event.messageId === first.id)?.event.clientMessageId).toBe(clientMessageId);
  });

  it('refuses a clientMessageId used before for another message (other content, file or conversation), sending nothing', async () => {
    const alice = newUser();
    const conv = conversationWith(alice);
    const other = conversationWith(alice);
    const fileId = randomUUID();
    files.owners.set(fileId, alice.userId);
    const clientMessageId = `c-${randomUUID()}`;
    const first = await send(alice, { conversationId: conv, content: 'first', clientMessageId });
    for (const input of [
      { conversationId: conv, content: 'second' },
      { conversationId: conv, content: 'first', fileId },
      { conversationId: other, content: 'first' },
    ]) {
      const refused = await gql(SEND, { ...input, clientMessageId }, alice);
      expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors?.[0]?.extensions?.field).toBe('clientMessageId');
    }
    expect((await send(alice, { conversationId: conv.toUpperCase(), content: 'first', clientMessageId })).id).toBe(first.id);
    // A file alone (no content stored in the claim) is the same message when retried.
    const fileOnly = `c-${randomUUID()}`;
    const attached = await send(alice, { conversationId: other, fileId, clientMessageId: fileOnly });
    expect((await send(alice, { conversationId: other, fileId, clientMessageId: fileOnly })).id).toBe(attached.id);
    expect((await eventsOf(conv, 1, 500)).map((e) => e.event.messageId)).toEqual([first.id]);
    expect((await eventsOf(other, 1, 500)).map((e) => e.event.messageId)).toEqual([attached.id]);
  });

  it('gives concurrent retries of one clientMessageId one id and exactly one event', async () => {
    const alice = newUser();
    const conv = conversationWith(alice);
    const clientMessageId = `c-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 6 }, () => send(alice, { conversationId: conv, content: 'retried', clientMessageId })));
    const ids = new Set(results.map((m) => m.id));
    expect(ids.size).toBe(1);
    const events = await eventsOf(conv, 1, 2000);
    expect(events).toHaveLength(1);
    expect(events[0]?.event.messageId).toBe(results[0]?.id);
  });

  it('after a failed produce, a retry produces the same message id once', async () => {
    const alice = newUser();
    const conv = conversationWith(alice);
    const clientMessageId = `c-${randomUUID()}`;
    bus.failNext = 1;
    const failed = await gql(SEND, { conversationId: conv, content: 'survives', clientMessageId }, alice);
    expect(codes(failed)).toEqual(['UNAVAILABLE']);
    expect(failed.errors?.[0]?.message).toBe('message not accepted: the event bus did not confirm it; retry with the same clientMessageId');
    const claim = await claims.get(alice.userId, clientMessageId);
    expect(claim).toMatchObject({ state: 'CLAIMED', conversationId: conv, content: 'survives' });
    expect(seen.get(conv)).toBeUndefined();

    const retried = await send(alice, { conversationId: conv, content: 'survives', clientMessageId });
    expect(retried.id).toBe(claim?.messageId);
    const events = await eventsOf(conv, 1);
    expect(events.map((e) => e.event.messageId)).toEqual([claim?.messageId]);
    expect((await claims.get(alice.userId, clientMessageId))?.state).toBe('PRODUCED');
  });

  it('without a clientMessageId, a failed produce stores nothing and sends produce distinct messages', async () => {
    const alice = newUser();
    const conv = conversationWith(alice);
    bus.failNext = 1;
    const failed = await gql(SEND, { conversationId: conv, content: 'lost' }, alice);
    expect(codes(failed)).toEqual(['UNAVAILABLE']);
    expect(failed.errors?.[0]?.message).toBe('message not accepted: the event bus did not confirm it; retry');
    const a = await send(alice, { conversationId: conv, content: 'same text' });
    const b = await send(alice, { conversationId: conv, content: 'same text' });
    expect(a.id).not.toBe(b.id);
    expect(b.id > a.id).toBe(true); // time-ordered
    const page = await history(alice, conv, 10);
    expect(page.data?._entities[0]?.messages.edges.map((e) => e.node.id)).toEqual([b.id, a.id]);
    expect((await eventsOf(conv, 2)).map((e) => e.event.messageId)).toEqual([a.id, b.id]);
  });

  describe('refusals', () => {
    const alice = newUser();
    const outsider = newUser();
    let conv: string;
    beforeAll(() => {
      conv = conversationWith(alice);
    });

    it.each([
      ['no content and no file', {}],
      ['empty content', { content: '' }],
      ['blank content', { content: '   ' }],
      ['content over MAX_CONTENT_LENGTH', { content: 'x'.repeat(MAX_CONTENT_LENGTH + 1) }],
      ['a malformed fileId', { fileId: 'no spaces allowed' }],
      ['an empty clientMessageId', { content: 'hi', clientMessageId: '' }],
    ])('BAD_USER_INPUT for %s', async (_name, variables) => {
      const result = await gql(SEND, { conversationId: conv, ...variables }, alice);
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.data).toBeNull();
    });

    it('BAD_USER_INPUT for a malformed conversation id; content at the limit is fine', async () => {
      expect(codes(await gql(SEND, { conversationId: 'conv-1', content: 'hi' }, alice))).toEqual(['BAD_USER_INPUT']);
      await expect(send(alice, { conversationId: conv, content: 'x'.repeat(MAX_CONTENT_LENGTH) })).resolves.toMatchObject({ status: 'SENT' });
    });

    it('UNAUTHENTICATED without an identity, or with a service identity (not a user)', async () => {
      expect(codes(await gql(SEND, { conversationId: conv, content: 'hi' }, null))).toEqual(['UNAUTHENTICATED']);
      expect(codes(await gql(SEND, { conversationId: conv, content: 'hi' }, { service: 'router' }))).toEqual(['UNAUTHENTICATED']);
    });

    it('FORBIDDEN for a non-member and for a conversation that does not exist, alike', async () => {
      const notMember = await gql(SEND, { conversationId: conv, content: 'let me in' }, outsider);
      const missing = await gql(SEND, { conversationId: randomUUID(), content: 'anyone?' }, alice);
      expect(codes(notMember)).toEqual(['FORBIDDEN']);
      expect(codes(missing)).toEqual(['FORBIDDEN']);
      expect(missing.errors?.[0]?.message).toBe(notMember.errors?.[0]?.message);
    });

    it('NOT_FOUND for a missing file and for a file of someone else, alike', async () => {
      const theirs = randomUUID();
      files.owners.set(theirs, outsider.userId);
      const missing = await gql(SEND, { conversationId: conv, fileId: randomUUID() }, alice);
      const notOwn = await gql(SEND, { conversationId: conv, fileId: theirs }, alice);
      expect(codes(missing)).toEqual(['NOT_FOUND']);
      expect(codes(notOwn)).toEqual(['NOT_FOUND']);
      expect(notOwn.errors?.[0]?.message).toBe(missing.errors?.[0]?.message);
    });

    it('a forged identity is refused with HTTP 401 before anything runs', async () => {
      const forgedConv = conversationWith(alice);
      const clientMessageId = `c-${randomUUID()}`;
      const forged = await gql(SEND, { conversationId: forgedConv, content: 'forged', clientMessageId }, alice, 'not-the-key-0123456789abcdef012345');
      expect(forged.status).toBe(401);
      expect(codes(forged)).toEqual(['UNAUTHENTICATED']);
      // Tampered payload with the original signature: also refused.
      const headers = signIdentity(alice, KEY);
      const other = signIdentity(outsider, KEY);
      const tampered = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-chat4all-identity': other['x-chat4all-identity']!, 'x-chat4all-identity-signature': headers['x-chat4all-identity-signature']! },
        body: JSON.stringify({ query: SEND, variables: { conversationId: forgedConv, content: 'forged', clientMessageId } }),
      });
      expect(tampered.status).toBe(401);
      expect(await claims.get(alice.userId, clientMessageId)).toBeNull();
      expect(await claims.get(outsider.userId, clientMessageId)).toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(seen.get(forgedConv)).toBeUndefined();
    });
  });
});

describe('reading', () => {
  const alice = newUser();
  const bob = newUser();
  const outsider = newUser();
  let conv: string;
  let sent: SentMessage[];

  beforeAll(async () => {
    conv = conversationWith(alice, bob);
    sent = [];
    for (let i = 0; i < 5; i++) sent.push(await send(i % 2 ? bob : alice, { conversationId: conv, content: `m${i}` }));
  });

  it('pages history newest first with opaque cursors', async () => {
    const newestFirst = [...sent].reverse().map((m) => m.id);
    const pages: string[][] = [];
    let after: string | null = null;
    for (;;) {
      const result = await history(bob, conv, 2, after);
      const page: HistoryPage | undefined = result.data?._entities[0]?.messages;
      if (!page) throw new Error(JSON.stringify(result.errors));
      pages.push(page.edges.map((e) => e.node.id));
      expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1]?.cursor ?? null);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toEqual([newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)]);
    const first = await history(alice, conv, 1);
    expect(first.data?._entities[0]?.messages.edges[0]?.node).toMatchObject({ content: 'm4', sender: { id: alice.userId } });
  });

  it('defaults first to the schema default and bounds it', async () => {
    const all = await history(alice, conv);
    expect(all.data?._entities[0]?.messages.edges).toHaveLength(5);
    for (const first of [0, -1, 101]) {
      const result = await history(alice, conv, first);
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors?.[0]?.extensions?.field).toBe('first');
    }
    expect(codes(await history(alice, conv, 2, 'not-a-cursor'))).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses history to non-members (FORBIDDEN) and anonymous callers (UNAUTHENTICATED)', async () => {
    expect(codes(await history(outsider, conv, 2))).toEqual(['FORBIDDEN']);
    expect(codes(await history(null, conv, 2))).toEqual(['UNAUTHENTICATED']);
  });

  it('message(id): members only, and a non-member cannot tell an existing id from a missing one', async () => {
    const query = 'query ($id: ID!) { message(id: $id) { id content conversation { id } } }';
    const target = sent[2]!;
    expect((await gql(query, { id: target.id }, bob)).data).toEqual({ message: { id: target.id, content: 'm2', conversation: { id: conv } } });
    const probing = await gql(query, { id: target.id }, outsider);
    const missing = await gql(query, { id: '01890000-0000-7000-8000-000000000000' }, outsider);
    expect(codes(probing)).toEqual(['NOT_FOUND']);
    expect(codes(missing)).toEqual(['NOT_FOUND']);
    expect(probing.errors?.[0]?.message).toBe(missing.errors?.[0]?.message);
    expect(codes(await gql(query, { id: 'nope' }, bob))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await gql(query, { id: target.id }, null))).toEqual(['UNAUTHENTICATED']);
  });

  it('conversation(id), shared with the users subgraph: the key for members, NOT_FOUND alike for non-members and unknown ids', async () => {
    const query = 'query ($id: ID!) { conversation(id: $id) { id title messages(first: 2) { edges { node { content } } } } }';
    expect((await gql(query, { id: conv }, bob)).data).toEqual({
      conversation: { id: conv, title: `Title of ${conv}`, messages: { edges: [{ node: { content: 'm4' } }, { node: { content: 'm3' } }] } },
    });
    // The same conversation whatever the case of its id (ids are UUIDs, stored and compared in lower case).
    expect((await gql(query, { id: conv.toUpperCase() }, bob)).data).toEqual({
      conversation: { id: conv, title: `Title of ${conv}`, messages: { edges: [{ node: { content: 'm4' } }, { node: { content: 'm3' } }] } },
    });
    const probing = await gql(query, { id: conv }, outsider);
    const missing = await gql(query, { id: randomUUID() }, outsider);
    const garbled = await gql(query, { id: 'not-an-id' }, bob);
    for (const refused of [probing, missing, garbled]) {
      expect(codes(refused)).toEqual(['NOT_FOUND']);
      // The users subgraph's own words (common's conversationNotFound), so the gateway's answer does not depend on
      // which of the two subgraphs the planner asked.
      expect(refused.errors?.[0]?.message).toBe('conversation not found');
      expect(refused.data?.conversation ?? null).toBeNull();
    }
    expect(codes(await gql(query, { id: conv }, null))).toEqual(['UNAUTHENTICATED']);
  });

  it("shares the conversation's title (from the membership lookup) with the users subgraph: for members, null for others", async () => {
    const viaMessage = 'query ($id: ID!) { message(id: $id) { conversation { id title } } }';
    expect((await gql(viaMessage, { id: sent[0]!.id }, alice)).data).toEqual({ message: { conversation: { id: conv, title: `Title of ${conv}` } } });
    const entities = 'query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Conversation { id title } } }';
    const reps = [{ __typename: 'Conversation', id: conv }];
    expect((await gql(entities, { reps }, bob)).data).toEqual({ _entities: [{ id: conv, title: `Title of ${conv}` }] });
    expect((await gql(entities, { reps }, outsider)).data).toEqual({ _entities: [{ id: conv, title: null }] });
    expect(codes(await gql(entities, { reps }, null))).toEqual(['UNAUTHENTICATED']);
  });

  it('resolves Message entities in order, null where missing or not visible to the caller', async () => {
    const query = 'query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Message { id content sender { id } } } }';
    const other = await send(outsider, { conversationId: conversationWith(outsider), content: 'private' });
    const reps = [sent[1]!.id, '01890000-0000-7000-8000-000000000000', sent[0]!.id, other.id].map((id) => ({ __typename: 'Message', id }));
    getManyCalls.length = 0;
    const asAlice = await gql<{ _entities: ({ id: string; content: string } | null)[] }>(query, { reps }, alice);
    expect(asAlice.data?._entities).toEqual([
      { id: sent[1]!.id, content: 'm1', sender: { id: bob.userId } },
      null,
      { id: sent[0]!.id, content: 'm0', sender: { id: alice.userId } },
      null,
    ]);
    // One store read for the whole batch of references.
    expect(getManyCalls).toEqual([reps.map((r) => r.id)]);
    // A signed service identity may resolve any message.
    const asService = await gql<{ _entities: ({ id: string } | null)[] }>(query, { reps }, { service: 'gateway' });
    expect(asService.data?._entities.map((m) => m?.id ?? null)).toEqual([sent[1]!.id, null, sent[0]!.id, other.id]);
  });
});

describe('operations', () => {
  it('is ready when Cassandra and Kafka answer', async () => {
    const response = await fetch(`${url}/readyz`);
    expect(await response.json()).toEqual({ status: 'ready', problems: [] });
    expect(response.status).toBe(200);
  });
});
