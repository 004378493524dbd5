import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { closeServer, createLogger, createSubgraphHandler, signIdentity, type Identity } from '@chat4all/common';
import type { PeerOptions } from '../src/peers/entities';
import { FilesSubgraphDirectory } from '../src/peers/files';
import { PeerUnavailableError } from '../src/peers/port';
import { UsersSubgraphDirectory } from '../src/peers/users';

const KEY = 'peer-test-signing-key-0123456789abcdef';
const log = createLogger('peers-test', 'silent');
const sdl = (subgraph: string) => readFileSync(path.join(__dirname, '../../', subgraph, 'src/schema.graphql'), 'utf8');

/**
 * The users and files subgraphs' real SDL served by the real subgraph kit, with entity resolvers answering from maps:
 * the directories are checked against the contract they will meet, signatures included.
 */
const conversations = new Map<string, { id: string; memberIds: unknown; title?: string | null }>();
const files = new Map<string, { id: string; ownerId: string }>();
const seen: (Identity | null)[] = [];

function serve(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` })),
  );
}

let users: { server: http.Server; url: string };
let filesPeer: { server: http.Server; url: string };
let silent: { server: http.Server; url: string };
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const usersGraph = createSubgraphHandler({
    name: 'users-double',
    typeDefs: sdl('users'),
    identityKey: KEY,
    log,
    resolvers: {
      Conversation: {
        __resolveReference: (ref: { id: string }, ctx: { identity: Identity | null }) => {
          seen.push(ctx.identity);
          return conversations.get(ref.id) ?? null;
        },
      },
    },
  });
  const filesGraph = createSubgraphHandler({
    name: 'files-double',
    typeDefs: sdl('files'),
    identityKey: KEY,
    log,
    resolvers: { File: { __resolveReference: (ref: { id: string }) => files.get(ref.id) ?? null } },
  });
  stops.push(usersGraph.stop, filesGraph.stop);
  users = await serve(usersGraph.handler);
  filesPeer = await serve(filesGraph.handler);
  silent = await serve(() => undefined); // accepts and never answers
});

afterAll(async () => {
  silent.server.closeAllConnections();
  await Promise.all([closeServer(users.server), closeServer(filesPeer.server), closeServer(silent.server), ...stops.map((s) => s())]);
});

const peer = (url: string, key = KEY, timeoutMs = 2000): PeerOptions => ({
  name: 'users',
  url,
  authHeaders: () => signIdentity({ service: 'messages' }, key),
  timeoutMs,
});

describe('UsersSubgraphDirectory', () => {
  it('answers member ids and titles in request order with null for unknown conversations, as the messages service', async () => {
    const [a, b, missing] = [randomUUID(), randomUUID(), randomUUID()];
    conversations.set(a, { id: a, memberIds: ['u1', 'u2'], title: 'Lunch' });
    conversations.set(b, { id: b, memberIds: [], title: null });
    seen.length = 0;
    const directory = new UsersSubgraphDirectory(peer(users.url));
    expect(await directory.conversations([b, missing, a])).toEqual([{ memberIds: [], title: null }, null, { memberIds: ['u1', 'u2'], title: 'Lunch' }]);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((identity) => identity?.kind === 'service' && identity.service === 'messages')).toBe(true);
    expect(await directory.conversations([])).toEqual([]);
  });

  it('fails as unavailable when its signature is refused', async () => {
    const directory = new UsersSubgraphDirectory(peer(users.url, 'some-other-key-0123456789abcdef0123'));
    await expect(directory.conversations([randomUUID()])).rejects.toThrow(PeerUnavailableError);
    await expect(directory.conversations([randomUUID()])).rejects.toThrow(/HTTP 401/);
  });

  it('fails as unavailable when the peer answers in another shape', async () => {
    const id = randomUUID();
    conversations.set(id, { id, memberIds: 'not-a-list' });
    // The subgraph itself refuses to serialise a string as [ID!]!, so the answer carries errors.
    await expect(new UsersSubgraphDirectory(peer(users.url)).conversations([id])).rejects.toThrow(PeerUnavailableError);
  });

  it('fails as unavailable when nothing listens or nothing answers in time', async () => {
    await expect(new UsersSubgraphDirectory(peer('http://127.0.0.1:1/graphql')).conversations([randomUUID()])).rejects.toThrow(PeerUnavailableError);
    const started = Date.now();
    await expect(new UsersSubgraphDirectory(peer(silent.url, KEY, 300)).conversations([randomUUID()])).rejects.toThrow(PeerUnavailableError);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('FilesSubgraphDirectory', () => {
  it('answers owners in request order with null for unknown files', async () => {
    const [f1, f2] = [randomUUID(), randomUUID()];
    files.set(f1, { id: f1, ownerId: 'owner-1' });
    files.set(f2, { id: f2, ownerId: 'owner-2' });
    const directory = new FilesSubgraphDirectory({ ...peer(filesPeer.url), name: 'files' });
    expect(await directory.ownerIds([f2, 'nope', f1])).toEqual(['owner-2', null, 'owner-1']);
  });
});
