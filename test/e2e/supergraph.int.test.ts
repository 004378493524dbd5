import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gql as graphqlTag, type ApolloClient } from '@apollo/client';
import { IDENTITY_HEADER, newUuidV7, signIdentity } from '@chat4all/common';
import {
  AddConversationMemberDocument,
  ConversationsDocument,
  CreateConversationDocument,
  HistoryDocument,
  LoginDocument,
  MeDocument,
  MessageDocument,
  MessagePageDocument,
  RegisterDocument,
  RemoveConversationMemberDocument,
  SendMessageDocument,
  type HistoryQuery,
} from './generated/graphql';
import { apolloClient, refusal, run } from './support/client';
import { documentedCommands } from './support/docs';
import { readMetric } from './support/metrics';
import { STACK_MODES, startStack, type E2eStack } from './support/stack';
import { uploadFile } from './support/upload';

/**
 * The supergraph end to end, once per stack mode: the three subgraphs and the gateway as separate processes
 * (`node --import tsx main.ts`) on the real engines, and the whole embedded platform as `npm start` runs it; driven by Apollo Client 4 with the typed documents from test/e2e/operations, uploads as real
 * multipart requests, and the curl commands of docs/api-examples.md. Logs: .local/logs/e2e/<service>.log.
 * The tests run in order and build on each other (users, then a conversation, then messages).
 */
jest.setTimeout(120_000);

const PASSWORD = 'correct horse battery staple';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const unique = (name: string) => `${name}_${randomBytes(5).toString('hex')}`;

async function download(url: string): Promise<Buffer> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

/** Runs `work` over `items`, `width` at a time, keeping the order of the results. */
async function inBatches<T, R>(items: readonly T[], width: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width) {
    results.push(...(await Promise.all(items.slice(i, i + width).map((item, j) => work(item, i + j)))));
  }
  return results;
}

interface Person {
  id: string;
  username: string;
  displayName: string;
  token: string;
  client: ApolloClient;
}

describe.each(STACK_MODES)('the supergraph end to end (%s)', (mode) => {
  let stack: E2eStack | undefined;
  let stopped = false;
  let anonymous: ApolloClient;
  let alice: Person;
  let bob: Person;
  let outsider: Person;
  let conversationId: string;
  const bigFile = randomBytes(3 * 1024 * 1024 + 17);
  let bigFileId: string;
  const sentIds: string[] = [];

  const gql = () => stack!.graphqlUrl;

  async function register(name: string, displayName: string): Promise<Person> {
    const username = unique(name);
    const { register } = await run(anonymous, RegisterDocument, { username, password: PASSWORD, displayName });
    expect(register.user).toMatchObject({ username, displayName });
    return { id: register.user.id, username, displayName, token: register.token, client: apolloClient(gql(), register.token) };
  }

  beforeAll(async () => {
    stack = await startStack(mode);
    anonymous = apolloClient(stack.graphqlUrl);
  });

  afterAll(async () => {
    // Only when a test failed before the last one stopped the stack: never leave processes behind.
    if (stack && !stopped) await stack.stop();
  });

  describe('accounts', () => {
    it('registers two users and an outsider, each with a token that identifies them', async () => {
      alice = await register('alice', 'Alice A.');
      bob = await register('bob', 'Bob B.');
      outsider = await register('mallory', 'Mallory');
      const { me } = await run(alice.client, MeDocument, {});
      expect(me).toMatchObject({ id: alice.id, username: alice.username, displayName: 'Alice A.' });
      expect(new Date(me!.createdAt).getTime()).toBeGreaterThan(Date.now() - 120_000);
      expect((await run(bob.client, MeDocument, {})).me?.id).toBe(bob.id);
    });

    it('logs in with the Login mutation', async () => {
      const { login } = await run(anonymous, LoginDocument, { username: alice.username, password: PASSWORD });
      expect(login.user.id).toBe(alice.id);
      expect((await run(apolloClient(gql(), login.token), MeDocument, {})).me?.id).toBe(alice.id);
      expect(await refusal(run(anonymous, LoginDocument, { username: alice.username, password: 'not the password' }))).toMatchObject({
        codes: ['UNAUTHENTICATED'],
      });
    });

    it('POST /token with form fields returns a bearer token Apollo Client can use', async () => {
      const response = await fetch(`${stack!.origins.gateway}/token`, {
        method: 'POST',
        body: new URLSearchParams({ username: bob.username, password: PASSWORD }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { access_token: string; token_type: string };
      expect(body.token_type).toBe('bearer');
      expect((await run(apolloClient(gql(), body.access_token), MeDocument, {})).me).toMatchObject({ id: bob.id, username: bob.username });

      const wrong = await fetch(`${stack!.origins.gateway}/token`, {
        method: 'POST',
        body: new URLSearchParams({ username: bob.username, password: 'wrong password' }),
      });
      expect(wrong.status).toBe(401);
    });
  });

  describe('conversations, files and messages', () => {
    it('creates a conversation and adds a member', async () => {
      const { createConversation } = await run(alice.client, CreateConversationDocument, { title: 'Weekend plans', memberIds: [] });
      conversationId = createConversation.id;
      expect(createConversation.members.map((m) => m.id)).toEqual([alice.id]);
      const { addConversationMember } = await run(alice.client, AddConversationMemberDocument, { conversationId, userId: bob.id });
      expect(addConversationMember.members.map((m) => m.displayName).sort()).toEqual(['Alice A.', 'Bob B.']);
      const { conversations } = await run(bob.client, ConversationsDocument, { first: 10 });
      expect(conversations.edges.map((e) => e.node)).toContainEqual(expect.objectContaining({ id: conversationId, title: 'Weekend plans' }));
      expect((await run(outsider.client, ConversationsDocument, { first: 10 })).conversations.edges.map((e) => e.node.id)).not.toContain(conversationId);
    });

    it('uploads a file of a few MB as a multipart request; its url downloads the same bytes', async () => {
      const { status, body } = await uploadFile(gql(), alice.token, { bytes: bigFile, filename: 'holiday video.bin', contentType: 'application/octet-stream' });
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      const file = body.data!.uploadFile;
      expect(file).toMatchObject({ filename: 'holiday video.bin', contentType: 'application/octet-stream', size: bigFile.length, sha256: sha256(bigFile) });
      bigFileId = file.id;
      expect(sha256(await download(file.url))).toBe(sha256(bigFile));
    });

    it('refuses a multipart request without the preflight header (CSRF prevention)', async () => {
      const { status, body } = await uploadFile(gql(), alice.token, { bytes: Buffer.from('hi'), filename: 'a.txt', contentType: 'text/plain' }, {});
      expect(status).toBe(400);
      expect(body.data ?? null).toBeNull();
    });

    it('sends text and file messages; a retried clientMessageId answers the same message', async () => {
      const clientMessageId = `client-${randomBytes(6).toString('hex')}`;
      const first = await run(alice.client, SendMessageDocument, { conversationId, content: 'Saturday at ten?', clientMessageId });
      const retry = await run(alice.client, SendMessageDocument, { conversationId, content: 'Saturday at ten?', clientMessageId });
      expect(retry.sendMessage.id).toBe(first.sendMessage.id);
      expect(first.sendMessage).toMatchObject({ content: 'Saturday at ten?', status: 'SENT', sender: { id: alice.id, displayName: 'Alice A.' } });

      const reply = await run(bob.client, SendMessageDocument, { conversationId, content: 'Works for me' });
      const withFile = await run(alice.client, SendMessageDocument, { conversationId, content: 'the video', fileId: bigFileId });
      expect(withFile.sendMessage.attachment).toMatchObject({ id: bigFileId, filename: 'holiday video.bin' });
      const fourth = await run(bob.client, SendMessageDocument, { conversationId, content: 'Nice!' });
      sentIds.push(first.sendMessage.id, reply.sendMessage.id, withFile.sendMessage.id, fourth.sendMessage.id);

      // Somebody else's file reads as a missing one.
      expect(await refusal(run(bob.client, SendMessageDocument, { conversationId, fileId: bigFileId }))).toMatchObject({ codes: ['NOT_FOUND'] });
    });

    it('pages the history, newest first, with senders and the file resolved across subgraphs', async () => {
      const page1 = await run(bob.client, HistoryDocument, { conversationId, first: 2 });
      const conversation = page1.conversation!;
      expect(conversation.title).toBe('Weekend plans');
      expect(conversation.members.map((m) => m.displayName).sort()).toEqual(['Alice A.', 'Bob B.']);
      expect(conversation.messages.edges).toHaveLength(2);
      expect(conversation.messages.pageInfo.hasNextPage).toBe(true);

      const page2 = await run(bob.client, HistoryDocument, { conversationId, first: 2, after: conversation.messages.pageInfo.endCursor });
      const edges = [...conversation.messages.edges, ...page2.conversation!.messages.edges];
      expect(page2.conversation!.messages.pageInfo).toMatchObject({ hasNextPage: false, endCursor: edges[3]!.cursor });
      const nodes: HistoryNode[] = edges.map((e) => e.node);
      expect(nodes.map((n) => n.id)).toEqual([...sentIds].reverse());
      expect(nodes.map((n) => [n.content, n.sender.displayName])).toEqual([
        ['Nice!', 'Bob B.'],
        ['the video', 'Alice A.'],
        ['Works for me', 'Bob B.'],
        ['Saturday at ten?', 'Alice A.'],
      ]);
      for (const node of nodes) {
        // Sent a moment ago: a router (the embedded platform's, or on the shared engines another suite's) may have moved
        // it on already; its lifecycle is checked below (embedded) and by the subscription and lifecycle suites.
        expect(['SENT', 'DELIVERED', 'READ']).toContain(node.status);
        expect(node.statusHistory[0]).toMatchObject({ status: 'SENT', at: node.createdAt });
      }
      const attachment = nodes[1]!.attachment!;
      expect(attachment).toMatchObject({ id: bigFileId, filename: 'holiday video.bin', size: bigFile.length, sha256: sha256(bigFile) });
      // The files subgraph signs the url for a member reading the history, not only for the uploader.
      expect(sha256(await download(attachment.url))).toBe(sha256(bigFile));
      expect(nodes.filter((n) => n !== nodes[1]).every((n) => n.attachment === null)).toBe(true);
    });

    if (mode === 'embedded') {
      // Only the embedded platform runs the router, connectors and simulators beside the API (the engines stack's
      // lifecycle is the subscription and lifecycle suites' business).
      it('every message sent, the file one too, reaches READ: SENT, DELIVERED, READ once each, in time order', async () => {
        const nodes = await historyOnceRead(bob.client, conversationId, sentIds.length);
        expect(nodes.map((n) => n.id).sort()).toEqual([...sentIds].sort());
        for (const node of nodes) {
          expect(node.status).toBe('READ');
          expect(node.statusHistory.map((h) => h.status)).toEqual(['SENT', 'DELIVERED', 'READ']);
          const times = node.statusHistory.map((h) => Date.parse(h.at));
          expect([...times].sort((a, b) => a - b)).toEqual(times);
        }
      });
    }

    it('reads one message by id', async () => {
      const { message } = await run(bob.client, MessageDocument, { id: sentIds[2]! });
      expect(message).toMatchObject({ id: sentIds[2], content: 'the video', conversation: { id: conversationId }, sender: { id: alice.id } });
      expect(message!.attachment?.id).toBe(bigFileId);
    });
  });

  describe('membership changes', () => {
    /**
     * How soon a change must show: the announcement's trip over the bus and one users-subgraph lookup, with room for a
     * busy machine. The membership caches keep answers for 30 s (MEMBERSHIP_CACHE_TTL_MS's default), so only the
     * announcement can make a change show within this.
     */
    const ANNOUNCED_WITHIN_MS = 3_000;

    /** Sends as `person` until the outcome is `wanted` (a send or a refusal code), returning how long that took. */
    async function sendUntil(person: Person, conversation: string, wanted: 'sent' | 'FORBIDDEN'): Promise<number> {
      const from = Date.now();
      for (;;) {
        const outcome = await run(person.client, SendMessageDocument, { conversationId: conversation, content: unique('hello') }).then(
          () => 'sent',
          async (error: unknown) => (await refusal(Promise.reject(error))).codes.join(','),
        );
        if (outcome === wanted || Date.now() - from > ANNOUNCED_WITHIN_MS + 5_000) return outcome === wanted ? Date.now() - from : Infinity;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    it('apply to sending at once, though the refusal before the add and the permission before the removal were cached', async () => {
      const newcomer = await register('newcomer', 'Newcomer');
      const { createConversation } = await run(alice.client, CreateConversationDocument, { title: unique('membership'), memberIds: [] });
      const conversation = createConversation.id;
      // The messages subgraph now holds "not a member" for the newcomer, for up to its TTL.
      expect(await refusal(run(newcomer.client, SendMessageDocument, { conversationId: conversation, content: 'let me in' }))).toEqual({ codes: ['FORBIDDEN'] });

      await run(alice.client, AddConversationMemberDocument, { conversationId: conversation, userId: newcomer.id });
      expect(await sendUntil(newcomer, conversation, 'sent')).toBeLessThanOrEqual(ANNOUNCED_WITHIN_MS);

      // And now "a member", until the removal is announced.
      await run(alice.client, RemoveConversationMemberDocument, { conversationId: conversation, userId: newcomer.id });
      expect(await sendUntil(newcomer, conversation, 'FORBIDDEN')).toBeLessThanOrEqual(ANNOUNCED_WITHIN_MS);
      expect(await refusal(run(newcomer.client, MessagePageDocument, { conversationId: conversation, first: 5 }))).toEqual({ codes: ['NOT_FOUND'] });
    });
  });

  describe('errors, each with its code', () => {
    it('UNAUTHENTICATED without a token and with a bad one', async () => {
      expect((await run(anonymous, MeDocument, {})).me).toBeNull();
      expect(await refusal(run(anonymous, ConversationsDocument, { first: 5 }))).toEqual({ codes: ['UNAUTHENTICATED'] });
      expect(await refusal(run(anonymous, SendMessageDocument, { conversationId, content: 'hello?' }))).toEqual({ codes: ['UNAUTHENTICATED'] });
      const forged = `${alice.token.slice(0, -4)}AAAA`;
      for (const token of [forged, 'not-a-jwt']) {
        expect(await refusal(run(apolloClient(gql(), token), MeDocument, {}))).toEqual({ status: 401, codes: ['UNAUTHENTICATED'] });
      }
    });

    it('FORBIDDEN when an outsider sends into the conversation', async () => {
      expect(await refusal(run(outsider.client, SendMessageDocument, { conversationId, content: 'let me in' }))).toEqual({ codes: ['FORBIDDEN'] });
    });

    it('NOT_FOUND for an unknown message or file id', async () => {
      expect(await refusal(run(alice.client, MessageDocument, { id: newUuidV7() }))).toEqual({ codes: ['NOT_FOUND'] });
      expect(await refusal(run(alice.client, SendMessageDocument, { conversationId, fileId: newUuidV7() }))).toEqual({ codes: ['NOT_FOUND'] });
      // Another user's message reads the same as one that does not exist.
      expect(await refusal(run(outsider.client, MessageDocument, { id: sentIds[0]! }))).toEqual({ codes: ['NOT_FOUND'] });
    });

    it('NOT_FOUND for a conversation the caller is not in, whichever subgraph the planner asks for it', async () => {
      // History reads the conversation's title and members (the users subgraph answers conversation(id)); a page of
      // messages alone is answered by the messages subgraph (Query.conversation is shared). Same refusal either way.
      expect(await refusal(run(outsider.client, HistoryDocument, { conversationId, first: 5 }))).toEqual({ codes: ['NOT_FOUND'] });
      expect(await refusal(run(outsider.client, MessagePageDocument, { conversationId, first: 5 }))).toEqual({ codes: ['NOT_FOUND'] });
      expect(await refusal(run(alice.client, MessagePageDocument, { conversationId: newUuidV7(), first: 5 }))).toEqual({ codes: ['NOT_FOUND'] });
    });

    it('BAD_USER_INPUT for an empty message, content over 4096 characters and a bad page size', async () => {
      const send = (content: string) => run(alice.client, SendMessageDocument, { conversationId, content });
      expect(await refusal(send('   '))).toEqual({ codes: ['BAD_USER_INPUT'] });
      expect(await refusal(send('x'.repeat(4097)))).toEqual({ codes: ['BAD_USER_INPUT'] });
      // 4096 characters (code points, so an emoji is one) is still fine.
      expect((await send('😀'.repeat(4096))).sendMessage.content).toHaveLength(8192);
      for (const first of [0, 101]) {
        expect(await refusal(run(alice.client, HistoryDocument, { conversationId, first }))).toEqual({ codes: ['BAD_USER_INPUT'] });
      }
    });

    it('a query over the depth limit is refused with QUERY_TOO_DEEP', async () => {
      // 14 levels (the gateway's default limit is 10); small pages keep it under the cost limit, so depth is what fails.
      const tooDeep = graphqlTag`
        query TooDeep($id: ID!) {
          message(id: $id) { conversation { messages(first: 1) { edges { node { conversation { messages(first: 1) { edges { node {
            conversation { messages(first: 1) { edges { node { id } } } }
          } } } } } } } } }
        }`;
      const error = await refusal(run(alice.client, tooDeep, { id: sentIds[0]! }));
      expect(error.codes).toEqual(['QUERY_TOO_DEEP']);
    });

    it('a subgraph called directly with a forged identity refuses the request', async () => {
      const query = JSON.stringify({ query: 'query { message(id: "x") { id } }' });
      const post = (headers: Record<string, string>) =>
        fetch(`${stack!.origins.messages}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: query });
      const claims = { userId: alice.id, username: alice.username };
      const wrongKey = signIdentity(claims, randomBytes(32).toString('base64url'));
      const unsigned = { [IDENTITY_HEADER]: signIdentity(claims, stack!.secrets.IDENTITY_SIGNING_KEY)[IDENTITY_HEADER]! };
      for (const headers of [wrongKey, unsigned]) {
        const response = await post(headers);
        expect(response.status).toBe(401);
        const body = (await response.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
        expect(body.errors.map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
        expect(body.data ?? null).toBeNull();
      }
      // The same request signed with the shared key gets through (to the resolver's own answer).
      const genuine = await post(signIdentity(claims, stack!.secrets.IDENTITY_SIGNING_KEY));
      expect(genuine.status).toBe(200);
      expect(((await genuine.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('batching across the supergraph', () => {
    it('a page of 50 messages resolves its senders and its files without a statement once the subgraphs have seen them', async () => {
      const { createConversation } = await run(alice.client, CreateConversationDocument, { title: 'batching', memberIds: [bob.id] });
      const batchConversation = createConversation.id;
      const senders = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? alice : bob));
      // Each message carries a file of its own, uploaded by its sender (only the owner may attach a file).
      const files = await inBatches(senders, 5, async (sender, i) => {
        const bytes = Buffer.from(`attachment ${i} ${randomBytes(8).toString('hex')}\n`);
        const { body } = await uploadFile(gql(), sender.token, { bytes, filename: `note-${i}.txt`, contentType: 'text/plain' });
        expect(body.errors).toBeUndefined();
        return { id: body.data!.uploadFile.id, sha256: sha256(bytes) };
      });
      // One after another, so the history's order is known.
      for (const [i, sender] of senders.entries()) {
        await run(sender.client, SendMessageDocument, { conversationId: batchConversation, content: `message ${i}`, fileId: files[i]!.id });
      }

      // On the embedded platform the connectors ask the files subgraph for links while delivering these messages: let
      // them finish, so the counters below see only the page's own calls.
      if (mode === 'embedded') await historyOnceRead(bob.client, batchConversation, senders.length);
      // The messages subgraph checks membership on every page from its cache (MEMBERSHIP_CACHE_TTL_MS, 30 s by
      // default), and a background refresh of that answer (every 0.75 TTL while it is in use) reads the conversation in
      // users too. So that only the page's own calls count: read the page once, then count the next read. A refresh
      // falling between the two counter reads is counted too; such a round is measured again, twice at most (a page
      // that itself asked users would count in every round).
      const usersCalls = { store: 'users', operation: 'findUsersByIds' };
      const conversationCalls = { store: 'users', operation: 'findConversationsByIds' };
      const accessCalls = { store: 'users', operation: 'findConversationsForMembers' };
      const fileCalls = { store: 'file-records', operation: 'getMany' };
      const counters = async () => {
        const [users, conversations, access, files] = await Promise.all([
          readMetric(stack!.origins.users, 'chat4all_store_calls_total', usersCalls),
          readMetric(stack!.origins.users, 'chat4all_store_calls_total', conversationCalls),
          readMetric(stack!.origins.users, 'chat4all_store_calls_total', accessCalls),
          readMetric(stack!.origins.files, 'chat4all_store_calls_total', fileCalls),
        ]);
        return { users, conversations, access, files };
      };
      const measurePage = async () => {
        await run(bob.client, MessagePageDocument, { conversationId: batchConversation, first: 50 });
        const before = await counters();
        const { conversation } = await run(bob.client, MessagePageDocument, { conversationId: batchConversation, first: 50 });
        const after = await counters();
        return { before, after, conversation };
      };
      const membershipCalls = (m: Awaited<ReturnType<typeof measurePage>>) =>
        m.after.conversations - m.before.conversations + (m.after.access - m.before.access);
      let measured = await measurePage();
      for (let round = 2; round <= 3 && membershipCalls(measured) > 0; round++) measured = await measurePage();
      const { before, after, conversation } = measured;

      expect(conversation!.title).toBe('batching');
      const nodes = conversation!.messages.edges.map((e) => e.node);
      expect(nodes).toHaveLength(50);
      // Newest first: message 49 (bob's) leads.
      expect(nodes.map((n) => n.sender.displayName)).toEqual(senders.map((s) => s.displayName).reverse());
      expect(nodes.map((n) => n.attachment?.sha256)).toEqual(files.map((f) => f.sha256).reverse());
      expect(nodes.every((n) => n.attachment!.url.startsWith('http'))).toBe(true);
      // No users statement and no metadata read at all: both senders were resolved by the users subgraph as they sent
      // (each sendMessage asks for its sender) and the files uploaded through the files subgraph just before, and each
      // keeps what it read or saved (users and file records never change). How misses are batched into one statement
      // is in subgraphs/users/test and subgraphs/files/test.
      expect(after.users - before.users).toBe(0);
      expect(after.files - before.files).toBe(0);
      // The page asks nothing of the conversation but its title and messages, so the messages subgraph answered
      // conversation(id) itself (the field and the title are shared with the users subgraph; the title came with its
      // cached membership answer) and the users subgraph did not read the conversation.
      expect(after.conversations - before.conversations).toBe(0);
      expect(after.access - before.access).toBe(0);
      expect(before.access).toBeGreaterThan(0); // the counter exists (membership checks of earlier steps used it)
    });
  });

  describe('docs/api-examples.md', () => {
    it('its curl commands work as written: register, token, query and upload', async () => {
      const commands = documentedCommands();
      expect(Object.keys(commands).sort()).toEqual(['query', 'register', 'token', 'upload']);
      const username = unique('alice');
      const dir = mkdtempSync(path.join(tmpdir(), 'chat4all-e2e-'));
      // A real 1×1 PNG: the files subgraph checks that the bytes match the declared image/png.
      const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
      writeFileSync(path.join(dir, 'photo.png'), png);
      const curl = async (name: string, env: Record<string, string> = {}) => {
        const command = commands[name]!.replaceAll('alice', username);
        const { stdout } = await promisify(execFile)('bash', ['-euc', command], {
          cwd: dir,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GATEWAY: stack!.origins.gateway, ...env },
        });
        return JSON.parse(stdout) as Record<string, unknown> & { data?: Record<string, Record<string, unknown>> };
      };

      const registered = await curl('register');
      expect(registered.data?.register).toMatchObject({ user: { username, displayName: 'Alice' } });
      const token = (await curl('token')) as { access_token?: string; token_type?: string };
      expect(token.token_type).toBe('bearer');
      const TOKEN = token.access_token!;
      const query = await curl('query', { TOKEN });
      expect(query.errors).toBeUndefined();
      expect(query.data?.me).toMatchObject({ username, displayName: 'Alice' });
      expect(query.data?.conversations).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
      const upload = await curl('upload', { TOKEN });
      expect(upload.errors).toBeUndefined();
      expect(upload.data?.uploadFile).toMatchObject({ filename: 'photo.png', contentType: 'image/png', size: png.length, sha256: sha256(png) });
      expect(sha256(await download(String(upload.data!.uploadFile!.url)))).toBe(sha256(png));
    });
  });

  describe('shutdown', () => {
    // Processes of their own get SIGTERM (a process manager's stop); `npm start` gets SIGINT, what Ctrl-C sends. The
    // embedded platform's SIGTERM is checked by test/lifecycle/embedded-restart.int.test.ts.
    const signal = mode === 'embedded' ? 'SIGINT' : 'SIGTERM';
    it(`stops every process on ${signal} with exit code 0`, async () => {
      stopped = true;
      expect(await stack!.stop(signal)).toEqual({ gateway: 0, users: 0, messages: 0, files: 0 });
    });
  });
});

type HistoryNode = NonNullable<HistoryQuery['conversation']>['messages']['edges'][number]['node'];

/** The conversation's newest `count` messages once all are READ (or, after 30 s, as they are, for the caller to judge). */
async function historyOnceRead(client: ApolloClient, conversationId: string, count: number): Promise<HistoryNode[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { conversation } = await run(client, HistoryDocument, { conversationId, first: count });
    const nodes = conversation!.messages.edges.map((e) => e.node);
    if ((nodes.length === count && nodes.every((n) => n.status === 'READ')) || Date.now() > deadline) return nodes;
    await new Promise((r) => setTimeout(r, 200));
  }
}
