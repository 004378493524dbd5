import { randomUUID } from 'node:crypto';
import {
  ConversationMembersChanged,
  IDENTITY_HEADER,
  IDENTITY_SIGNATURE_HEADER,
  TOPICS,
  createJwtService,
  decodeEvent,
  signIdentity,
  type EventBus,
  type IdentityClaims,
} from '@chat4all/common';
import type { User } from '../src/store/port';
import { startUsersHarness, type GraphQLResult, type UsersHarness } from './support/service';

// The users subgraph over HTTP on real PostgreSQL, called the way the gateway calls it: identities signed with the
// shared key. Every test makes its own users and conversations, so the suite re-runs on the same database.

let h: UsersHarness;

/** Where the service announces membership changes: each record kept; `failNext` rejects the next publish (bus down). */
const announced: { topic: string; key: string; event: ConversationMembersChanged }[] = [];
let failNext = 0;
const announcements: Pick<EventBus, 'publish'> = {
  async publish(topic, records) {
    if (failNext > 0) {
      failNext--;
      throw new Error('broker unavailable (test)');
    }
    for (const r of records) announced.push({ topic, key: r.key, event: decodeEvent(ConversationMembersChanged, r.value) });
  },
};
const announcedFor = (conversationId: string) =>
  announced.filter((a) => a.event.conversationId === conversationId).map((a) => [a.topic, a.key, a.event.userId, a.event.change]);

beforeAll(async () => {
  h = await startUsersHarness({ announcements });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const unique = (label: string): string => `${label}_${randomUUID().slice(0, 8)}`;
const as = (user: Pick<User, 'id' | 'username'>): IdentityClaims => ({ userId: user.id, username: user.username });
const service: IdentityClaims = { service: 'messages' };

/** A user made directly in the store: conversation tests do not need (or wait for) password hashing. */
const newUser = (label = 'user'): Promise<User> =>
  h.repository.createUser({ username: unique(label), displayName: `${label} display`, passwordHash: 'not-a-hash' });

function expectError(result: GraphQLResult, code: string, field?: string): { message: string } {
  expect(result.errors).toHaveLength(1);
  const [error] = result.errors!;
  expect(error!.extensions?.code).toBe(code);
  if (field !== undefined) expect(error!.extensions?.field).toBe(field);
  return error!;
}

const REGISTER = `mutation ($username: String!, $password: String!, $displayName: String) {
  register(username: $username, password: $password, displayName: $displayName) { token user { id username displayName createdAt } }
}`;
const LOGIN = `mutation ($username: String!, $password: String!) {
  login(username: $username, password: $password) { token user { id username displayName } }
}`;

interface AuthPayload {
  token: string;
  user: { id: string; username: string; displayName: string; createdAt?: string };
}

describe('register and login', () => {
  it('registers a user, defaulting displayName to the username, with a token the JWT service accepts', async () => {
    const username = unique('Ada');
    const result = await h.gql<{ register: AuthPayload }>(REGISTER, { username, password: 'correct horse' });

    expect(result.errors).toBeUndefined();
    const { token, user } = result.data!.register;
    expect(user).toEqual({ id: expect.any(String), username, displayName: username, createdAt: expect.any(String) });
    expect(Math.abs(Date.parse(user.createdAt!) - Date.now())).toBeLessThan(60_000);
    expect(await createJwtService(h.config).verify(token)).toEqual({ userId: user.id, username });
    // The stored password is a hash, never the password.
    const stored = await h.repository.findUserById(user.id);
    expect(stored!.passwordHash).toMatch(/^scrypt\$/);
    expect(stored!.passwordHash).not.toContain('correct horse');
  });

  it('keeps a given displayName, trimmed', async () => {
    const result = await h.gql<{ register: AuthPayload }>(REGISTER, { username: unique('g'), password: 'password1', displayName: '  Grace H.  ' });
    expect(result.data!.register.user.displayName).toBe('Grace H.');
  });

  it.each([
    ['a username that is too short', { username: 'ab' }, 'username'],
    ['a username that is too long', { username: 'a'.repeat(33) }, 'username'],
    ['a username with other characters', { username: 'bad name!' }, 'username'],
    ['a password that is too short', { password: 'seven77' }, 'password'],
    ['a password that is too long', { password: 'p'.repeat(257) }, 'password'],
    ['a displayName that is too long', { displayName: 'd'.repeat(65) }, 'displayName'],
    ['a blank displayName', { displayName: '   ' }, 'displayName'],
  ])('refuses %s as BAD_USER_INPUT naming the field', async (_label, override, field) => {
    const variables = { username: unique('v'), password: 'long enough', ...override };
    const result = await h.gql(REGISTER, variables);
    expectError(result, 'BAD_USER_INPUT', field);
    expect(result.data).toBeNull();
    expect(await h.repository.findUserByUsername(variables.username)).toBeNull();
  });

  it('accepts the boundaries: 3 and 32 character usernames, 8 and 256 character passwords, a 64 character displayName', async () => {
    const short = randomUUID().slice(0, 3);
    const long = `${unique('b')}${'x'.repeat(32)}`.slice(0, 32);
    const a = await h.gql(REGISTER, { username: short, password: '8chars!!', displayName: 'd'.repeat(64) });
    // Three random hex characters may already be taken by an earlier run; that is the only other acceptable answer.
    if (a.errors) expect(a.errors[0]!.message).toMatch(/already taken/);
    const b = await h.gql(REGISTER, { username: long, password: 'p'.repeat(256) });
    expect(b.errors).toBeUndefined();
  });

  it('refuses a username already taken, whatever its case, with a clear BAD_USER_INPUT', async () => {
    const username = unique('Taken');
    expect((await h.gql(REGISTER, { username, password: 'password1' })).errors).toBeUndefined();

    const again = await h.gql(REGISTER, { username: username.toUpperCase(), password: 'password2' });
    const error = expectError(again, 'BAD_USER_INPUT', 'username');
    expect(error.message).toBe(`username "${username.toUpperCase()}" is already taken`);
  });

  it('logs in with the right password (username in any case) and gets a valid token', async () => {
    const username = unique('Login');
    const registered = (await h.gql<{ register: AuthPayload }>(REGISTER, { username, password: 's3cret-pass' })).data!.register;

    const result = await h.gql<{ login: AuthPayload }>(LOGIN, { username: username.toLowerCase(), password: 's3cret-pass' });
    expect(result.errors).toBeUndefined();
    expect(result.data!.login.user).toEqual({ id: registered.user.id, username, displayName: username });
    expect(await createJwtService(h.config).verify(result.data!.login.token)).toEqual({ userId: registered.user.id, username });
  });

  it('answers a wrong password and an unknown username with the same UNAUTHENTICATED error', async () => {
    const username = unique('Secret');
    await h.gql(REGISTER, { username, password: 'the-right-one' });

    const wrongPassword = await h.gql(LOGIN, { username, password: 'the-wrong-one' });
    const unknownUser = await h.gql(LOGIN, { username: unique('nobody'), password: 'the-right-one' });
    // No name anyone could have: a NUL byte (which PostgreSQL refuses in text), too long.
    const impossible = await Promise.all(['a\u0000b', 'x'.repeat(33)].map((name) => h.gql(LOGIN, { username: name, password: 'the-right-one' })));
    const a = expectError(wrongPassword, 'UNAUTHENTICATED');
    const b = expectError(unknownUser, 'UNAUTHENTICATED');
    expect(a.message).toBe('wrong username or password');
    expect(b.message).toBe(a.message);
    for (const result of impossible) expect(expectError(result, 'UNAUTHENTICATED').message).toBe(a.message);
    expect(wrongPassword.data).toBeNull();
  });

  it('spends the same hashing work on an unknown username as on a wrong password', async () => {
    const username = unique('Timing');
    await h.gql(REGISTER, { username, password: 'the-right-one' });
    const time = async (variables: Record<string, string>): Promise<number> => {
      const started = process.hrtime.bigint();
      expectError(await h.gql(LOGIN, variables), 'UNAUTHENTICATED');
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    await time({ username: unique('warm'), password: 'x' }); // the decoy hash is made on first use

    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      wrong.push(await time({ username, password: 'the-wrong-one' }));
      unknown.push(await time({ username: unique('nobody'), password: 'the-wrong-one' }));
    }
    // One scrypt is tens of milliseconds, a lookup a few: without the decoy the unknown case would be many times faster.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.5);
  }, 30_000);
});

describe('identity', () => {
  const ME = '{ me { id username displayName } }';

  it('answers me for a signed user identity, and null for anonymous and service callers', async () => {
    const user = await newUser('me');
    expect((await h.gql(ME, {}, as(user))).data).toEqual({ me: { id: user.id, username: user.username, displayName: user.displayName } });
    expect(await h.gql(ME)).toMatchObject({ status: 200, data: { me: null } });
    expect((await h.gql(ME, {}, service)).data).toEqual({ me: null });
  });

  it('refuses a forged, unsigned or stale identity with 401 before any resolver runs', async () => {
    const user = await newUser('forged');
    const forged = signIdentity(as(user), 'not-the-shared-key-0123456789abcdef');
    const genuine = signIdentity(as(user), h.config.IDENTITY_SIGNING_KEY);
    const stale = signIdentity(as(user), h.config.IDENTITY_SIGNING_KEY, Date.now() - 10 * 60_000);
    const attempts: Record<string, string>[] = [
      forged,
      { [IDENTITY_HEADER]: genuine[IDENTITY_HEADER]! },
      // A genuine signature over another user's claims.
      { [IDENTITY_HEADER]: signIdentity({ userId: randomUUID(), username: 'x' }, 'k')[IDENTITY_HEADER]!, [IDENTITY_SIGNATURE_HEADER]: genuine[IDENTITY_SIGNATURE_HEADER]! },
      stale,
    ];
    const before = h.statements.length;
    for (const headers of attempts) {
      const result = await h.gql(ME, {}, undefined, headers);
      expect(result.status).toBe(401);
      expectError(result, 'UNAUTHENTICATED');
      expect(result.data).toBeUndefined();
    }
    expect(h.statements.length).toBe(before);
  });

  it('gives user(id) to authenticated callers only', async () => {
    const [me, other] = await Promise.all([newUser(), newUser()]);
    const query = 'query ($id: ID!) { user(id: $id) { id username } }';

    expect((await h.gql(query, { id: other.id }, as(me))).data).toEqual({ user: { id: other.id, username: other.username } });
    expect((await h.gql(query, { id: randomUUID() }, as(me))).data).toEqual({ user: null });
    expectError(await h.gql(query, { id: other.id }), 'UNAUTHENTICATED');
  });
});

const CREATE = `mutation ($title: String, $memberIds: [ID!]!) {
  createConversation(title: $title, memberIds: $memberIds) { id title createdAt lastActivityAt members { id username } }
}`;
const CONVERSATION = 'query ($id: ID!) { conversation(id: $id) { id title members { id } } }';
const ADD = `mutation ($conversationId: ID!, $userId: ID!) {
  addConversationMember(conversationId: $conversationId, userId: $userId) { id members { id } }
}`;

const REMOVE = `mutation ($conversationId: ID!, $userId: ID!) {
  removeConversationMember(conversationId: $conversationId, userId: $userId) { id members { id } }
}`;

interface ConversationData {
  id: string;
  title: string | null;
  createdAt: string;
  lastActivityAt: string;
  members: { id: string; username: string }[];
}

async function createConversation(owner: User, memberIds: string[], title: string | null = 'chat'): Promise<ConversationData> {
  const result = await h.gql<{ createConversation: ConversationData }>(CREATE, { title, memberIds }, as(owner));
  expect(result.errors).toBeUndefined();
  return result.data!.createConversation;
}

const ids = (members: { id: string }[]) => members.map((m) => m.id).sort();

describe('conversations and membership', () => {
  it('creates a conversation with the caller always a member', async () => {
    const [me, friend] = await Promise.all([newUser('owner'), newUser('friend')]);
    const conversation = await createConversation(me, [friend.id], 'Lunch');

    expect(conversation).toMatchObject({ title: 'Lunch' });
    expect(conversation.lastActivityAt).toBe(conversation.createdAt);
    expect(ids(conversation.members)).toEqual([me.id, friend.id].sort());
    // Naming yourself as well changes nothing.
    const again = await createConversation(me, [me.id, friend.id]);
    expect(ids(again.members)).toEqual([me.id, friend.id].sort());
    const alone = await createConversation(me, [], null);
    expect(alone).toMatchObject({ title: null, members: [{ id: me.id, username: me.username }] });
  });

  it('refuses unknown members, over-long titles and anonymous callers', async () => {
    const me = await newUser();
    const unknown = randomUUID();
    const missing = expectError(await h.gql(CREATE, { title: 't', memberIds: [unknown] }, as(me)), 'BAD_USER_INPUT', 'memberIds');
    expect(missing.message).toContain(unknown);
    expectError(await h.gql(CREATE, { title: 'x'.repeat(201), memberIds: [] }, as(me)), 'BAD_USER_INPUT', 'title');
    // A lone surrogate: every store would keep U+FFFD in its place, not what the client sent.
    expectError(await h.gql(CREATE, { title: 'a\ud800b', memberIds: [] }, as(me)), 'BAD_USER_INPUT', 'title');
    expectError(await h.gql(REGISTER, { username: unique('s'), password: 'password1', displayName: 'x\udc00' }), 'BAD_USER_INPUT', 'displayName');
    expectError(await h.gql(REGISTER, { username: unique('s'), password: 'password\ud83d' }), 'BAD_USER_INPUT', 'password');
    expectError(await h.gql(CREATE, { title: 't', memberIds: [] }), 'UNAUTHENTICATED');
    expectError(await h.gql(CREATE, { title: 't', memberIds: [] }, service), 'UNAUTHENTICATED');
    expect((await h.repository.listConversationsForUser(me.id, { first: 5 })).items).toEqual([]);
  });

  it('shows a conversation to its members; a non-member gets the same NOT_FOUND as for a missing id', async () => {
    const [me, outsider] = await Promise.all([newUser(), newUser()]);
    const conversation = await createConversation(me, []);

    const mine = await h.gql(CONVERSATION, { id: conversation.id }, as(me));
    expect(mine.data).toEqual({ conversation: { id: conversation.id, title: 'chat', members: [{ id: me.id }] } });

    const notMine = expectError(await h.gql(CONVERSATION, { id: conversation.id }, as(outsider)), 'NOT_FOUND');
    const missing = expectError(await h.gql(CONVERSATION, { id: randomUUID() }, as(outsider)), 'NOT_FOUND');
    expect(notMine.message).toBe(missing.message);
    expectError(await h.gql(CONVERSATION, { id: conversation.id }), 'UNAUTHENTICATED');
  });

  it("answers a member's conversation title (what every history page asks) with one statement that reads no member list", async () => {
    const [me, friend] = await Promise.all([newUser(), newUser()]);
    const conversation = await createConversation(me, [friend.id], 'Title only');
    const TITLE = 'query ($id: ID!) { conversation(id: $id) { id title } }';

    const before = h.statements.length;
    const mine = await h.gql(TITLE, { id: conversation.id }, as(friend));
    expect(mine.data).toEqual({ conversation: { id: conversation.id, title: 'Title only' } });
    const statements = h.statements.slice(before);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/from "conversation_members" m join "conversations"/);

    await h.repository.removeMember(conversation.id, friend.id);
    expectError(await h.gql(TITLE, { id: conversation.id }, as(friend)), 'NOT_FOUND');
  });

  it('keeps a conversation within CONVERSATION_MAX_MEMBERS, at creation and when adding; a member already in is no addition', async () => {
    const small = await startUsersHarness({ env: { CONVERSATION_MAX_MEMBERS: '3' } });
    try {
      const [me, a, b, c] = await Promise.all([newUser(), newUser(), newUser(), newUser()]);
      expectError(await small.gql(CREATE, { title: 'big', memberIds: [a.id, b.id, c.id] }, as(me)), 'BAD_USER_INPUT', 'memberIds');
      const created = await small.gql<{ createConversation: ConversationData }>(CREATE, { title: 'small', memberIds: [a.id, b.id] }, as(me));
      const conversationId = created.data!.createConversation.id;
      const full = expectError(await small.gql(ADD, { conversationId, userId: c.id }, as(me)), 'BAD_USER_INPUT', 'conversationId');
      expect(full.message).toBe('a conversation has at most 3 members');
      expect(await small.repository.memberIds(conversationId)).toHaveLength(3);
      expect((await small.gql(ADD, { conversationId, userId: a.id.toUpperCase() }, as(me))).errors).toBeUndefined();
      expect((await small.gql(REMOVE, { conversationId, userId: b.id }, as(me))).errors).toBeUndefined();
      expect((await small.gql(ADD, { conversationId, userId: c.id }, as(me))).errors).toBeUndefined();
    } finally {
      await small.close();
    }
  });

  it('lets members add members, idempotently', async () => {
    const [me, friend] = await Promise.all([newUser(), newUser()]);
    const conversation = await createConversation(me, []);

    const added = await h.gql<{ addConversationMember: { id: string; members: { id: string }[] } }>(ADD, { conversationId: conversation.id, userId: friend.id }, as(me));
    expect(added.errors).toBeUndefined();
    expect(ids(added.data!.addConversationMember.members)).toEqual([me.id, friend.id].sort());

    const again = await h.gql<{ addConversationMember: { members: { id: string }[] } }>(ADD, { conversationId: conversation.id, userId: friend.id }, as(me));
    expect(again.errors).toBeUndefined();
    expect(ids(again.data!.addConversationMember.members)).toEqual([me.id, friend.id].sort());
    // The new member now sees it.
    expect((await h.gql(CONVERSATION, { id: conversation.id }, as(friend))).errors).toBeUndefined();
  });

  it('refuses non-members (and missing conversations alike) with FORBIDDEN, and unknown users with NOT_FOUND', async () => {
    const [me, outsider, friend] = await Promise.all([newUser(), newUser(), newUser()]);
    const conversation = await createConversation(me, []);

    const notMine = expectError(await h.gql(ADD, { conversationId: conversation.id, userId: friend.id }, as(outsider)), 'FORBIDDEN');
    const missing = expectError(await h.gql(ADD, { conversationId: randomUUID(), userId: friend.id }, as(outsider)), 'FORBIDDEN');
    expect(notMine.message).toBe(missing.message);
    // Adding yourself is no way in either.
    expectError(await h.gql(ADD, { conversationId: conversation.id, userId: outsider.id }, as(outsider)), 'FORBIDDEN');

    const unknownUser = randomUUID();
    const error = expectError(await h.gql(ADD, { conversationId: conversation.id, userId: unknownUser }, as(me)), 'NOT_FOUND');
    expect(error.message).toContain(unknownUser);
    expect(await h.repository.memberIds(conversation.id)).toEqual([me.id]);
    expectError(await h.gql(ADD, { conversationId: conversation.id, userId: friend.id }), 'UNAUTHENTICATED');
  });
});

describe('removeConversationMember', () => {
  type Removed = { removeConversationMember: { id: string; members: { id: string }[] } };

  it('lets a member remove another member, idempotently; the removed one loses access', async () => {
    const [me, friend, third] = await Promise.all([newUser(), newUser(), newUser()]);
    const conversation = await createConversation(me, [friend.id, third.id]);

    const removed = await h.gql<Removed>(REMOVE, { conversationId: conversation.id, userId: friend.id }, as(third));
    expect(removed.errors).toBeUndefined();
    expect(removed.data!.removeConversationMember.id).toBe(conversation.id);
    expect(ids(removed.data!.removeConversationMember.members)).toEqual([me.id, third.id].sort());

    const again = await h.gql<Removed>(REMOVE, { conversationId: conversation.id, userId: friend.id }, as(me));
    expect(again.errors).toBeUndefined();
    expect(ids(again.data!.removeConversationMember.members)).toEqual([me.id, third.id].sort());
    // Not a member any more: the conversation is hidden, and removing others is refused.
    expectError(await h.gql(CONVERSATION, { id: conversation.id }, as(friend)), 'NOT_FOUND');
    expectError(await h.gql(REMOVE, { conversationId: conversation.id, userId: me.id }, as(friend)), 'FORBIDDEN');
    expect((await h.repository.memberIds(conversation.id)).sort()).toEqual([me.id, third.id].sort());
  });

  it('lets a member leave', async () => {
    const [me, friend] = await Promise.all([newUser(), newUser()]);
    const conversation = await createConversation(me, [friend.id]);

    const left = await h.gql<Removed>(REMOVE, { conversationId: conversation.id, userId: friend.id }, as(friend));
    expect(left.errors).toBeUndefined();
    expect(ids(left.data!.removeConversationMember.members)).toEqual([me.id]);
    expect(await h.repository.isMember(conversation.id, friend.id)).toBe(false);
  });

  it('refuses non-members (and missing conversations alike) with FORBIDDEN, and anonymous callers', async () => {
    const [me, outsider] = await Promise.all([newUser(), newUser()]);
    const conversation = await createConversation(me, []);

    const notMine = expectError(await h.gql(REMOVE, { conversationId: conversation.id, userId: me.id }, as(outsider)), 'FORBIDDEN');
    const missing = expectError(await h.gql(REMOVE, { conversationId: randomUUID(), userId: me.id }, as(outsider)), 'FORBIDDEN');
    expect(notMine.message).toBe(missing.message);
    expectError(await h.gql(REMOVE, { conversationId: conversation.id, userId: me.id }), 'UNAUTHENTICATED');
    expectError(await h.gql(REMOVE, { conversationId: conversation.id, userId: me.id }, service), 'UNAUTHENTICATED');
    expect(await h.repository.memberIds(conversation.id)).toEqual([me.id]);
  });

  it('answers a user who is not a member (or no user at all) with the conversation unchanged', async () => {
    const [me, outsider] = await Promise.all([newUser(), newUser()]);
    const conversation = await createConversation(me, []);

    for (const userId of [outsider.id, randomUUID()]) {
      const result = await h.gql<Removed>(REMOVE, { conversationId: conversation.id, userId }, as(me));
      expect(result.errors).toBeUndefined();
      expect(ids(result.data!.removeConversationMember.members)).toEqual([me.id]);
    }
  });
});

describe('membership announcements (conversations.members)', () => {
  it('announces every add and remove, also one that changed nothing, after it is saved; a refused call announces nothing', async () => {
    const [me, friend, outsider] = await Promise.all([newUser(), newUser(), newUser()]);
    const conversation = await createConversation(me, []);
    const before = Date.now();
    for (const [query, caller] of [
      [ADD, me],
      [ADD, me],
      [REMOVE, friend],
    ] as const) {
      expect((await h.gql(query, { conversationId: conversation.id, userId: friend.id }, as(caller))).errors).toBeUndefined();
    }
    expectError(await h.gql(ADD, { conversationId: conversation.id, userId: outsider.id }, as(outsider)), 'FORBIDDEN');
    expect(announcedFor(conversation.id)).toEqual([
      [TOPICS.conversationMembers, conversation.id, friend.id, 'ADDED'],
      [TOPICS.conversationMembers, conversation.id, friend.id, 'ADDED'],
      [TOPICS.conversationMembers, conversation.id, friend.id, 'REMOVED'],
    ]);
    const at = Date.parse(announced.find((a) => a.event.conversationId === conversation.id)!.event.at);
    expect(at).toBeGreaterThanOrEqual(before - 1_000);
  });

  it('announces a userId given in upper case as every service keys users, in lower case', async () => {
    const [me, friend] = await Promise.all([newUser(), newUser()]);
    const conversation = await createConversation(me, []);
    for (const query of [ADD, REMOVE]) {
      expect((await h.gql(query, { conversationId: conversation.id, userId: friend.id.toUpperCase() }, as(me))).errors).toBeUndefined();
    }
    expect(announcedFor(conversation.id)).toEqual([
      [TOPICS.conversationMembers, conversation.id, friend.id, 'ADDED'],
      [TOPICS.conversationMembers, conversation.id, friend.id, 'REMOVED'],
    ]);
  });

  it('says so with UNAVAILABLE when the bus does not take the announcement; the change stands, and a retry announces it', async () => {
    const [me, friend] = await Promise.all([newUser(), newUser()]);
    const conversation = await createConversation(me, [friend.id]);
    failNext = 1;
    const refused = expectError(await h.gql(REMOVE, { conversationId: conversation.id, userId: friend.id }, as(me)), 'UNAVAILABLE');
    expect(refused.message).toMatch(/saved.*retry to announce it now/);
    expect(await h.repository.isMember(conversation.id, friend.id)).toBe(false);
    expect(announcedFor(conversation.id)).toEqual([]);
    expect((await h.gql(REMOVE, { conversationId: conversation.id, userId: friend.id }, as(me))).errors).toBeUndefined();
    expect(announcedFor(conversation.id)).toEqual([[TOPICS.conversationMembers, conversation.id, friend.id, 'REMOVED']]);
    // Operators see the failure on /metrics.
    const metrics = await (await fetch(h.url.replace(/\/graphql$/, '/metrics'))).text();
    expect(metrics).toMatch(/^chat4all_membership_announcements_total\{result="failed"[^}]*\} 1$/m);
  });

  it('refuses a user id that is no UUID (empty, longer than any id, anything else) with BAD_USER_INPUT, announcing nothing', async () => {
    const me = await newUser();
    const conversation = await createConversation(me, []);
    for (const userId of ['', 'not-an-id', 'x'.repeat(201)]) {
      expectError(await h.gql(REMOVE, { conversationId: conversation.id, userId }, as(me)), 'BAD_USER_INPUT', 'userId');
      expectError(await h.gql(ADD, { conversationId: conversation.id, userId }, as(me)), 'BAD_USER_INPUT', 'userId');
    }
    expect(announcedFor(conversation.id)).toEqual([]);
    expect(await h.repository.memberIds(conversation.id)).toEqual([me.id]);
  });
});

describe('conversations(first, after)', () => {
  const LIST = `query ($first: Int, $after: String) {
    conversations(first: $first, after: $after) { edges { cursor node { id title lastActivityAt members { id } } } pageInfo { hasNextPage endCursor } }
  }`;
  interface Page {
    conversations: {
      edges: { cursor: string; node: { id: string; title: string; lastActivityAt: string; members: { id: string }[] } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  }

  it("pages through the caller's conversations, newest activity first", async () => {
    const [me, other] = await Promise.all([newUser('pager'), newUser('other')]);
    const created: ConversationData[] = [];
    for (let i = 0; i < 5; i++) created.push(await createConversation(me, [other.id], `c${i}`));
    await createConversation(other, [], 'not mine');
    // Activity out of creation order: c3 newest, then c0, c4, c1, c2.
    const base = Date.now() + 60_000;
    for (const [i, minutes] of [4, 2, 1, 5, 3].entries()) {
      await h.repository.touchConversation(created[i]!.id, new Date(base + minutes * 60_000));
    }

    const titles: string[] = [];
    let after: string | null = null;
    const pages: Page['conversations'][] = [];
    for (let n = 0; n < 5; n++) {
      const result: GraphQLResult<Page> = await h.gql<Page>(LIST, { first: 2, after }, as(me));
      expect(result.errors).toBeUndefined();
      const page = result.data!.conversations;
      pages.push(page);
      titles.push(...page.edges.map((edge) => edge.node.title));
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(titles).toEqual(['c3', 'c0', 'c4', 'c1', 'c2']);
    expect(pages.map((p) => p.edges.length)).toEqual([2, 2, 1]);
    expect(pages[0]!.edges[0]!.node.lastActivityAt).toBe(new Date(base + 5 * 60_000).toISOString());
    expect(ids(pages[0]!.edges[0]!.node.members)).toEqual([me.id, other.id].sort());

    // The default page size covers them all.
    const all = await h.gql<Page>('{ conversations { edges { node { title } } pageInfo { hasNextPage } } }', {}, as(me));
    expect(all.data!.conversations.edges.map((e) => e.node.title)).toEqual(titles);
    expect(all.data!.conversations.pageInfo.hasNextPage).toBe(false);
  });

  it('loads a page with its members in two statements, their users (already seen creating the conversations) from memory', async () => {
    const [me, a, b] = await Promise.all([newUser(), newUser(), newUser()]);
    for (let i = 0; i < 4; i++) await createConversation(me, [a.id, b.id]);
    const before = h.statements.length;
    const result = await h.gql<Page>(
      '{ conversations(first: 4) { edges { node { id members { id username } } } } }',
      {},
      as(me),
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.conversations.edges).toHaveLength(4);
    for (const edge of result.data!.conversations.edges) expect(ids(edge.node.members)).toEqual([me.id, a.id, b.id].sort());
    // The page and every conversation's member ids; the members' user rows were read as createConversation answered
    // with its members, and users never change, so the subgraph kept them.
    expect(h.statements.length - before).toBe(2);
  });

  it.each([
    ['first: 0', { first: 0 }, 'first'],
    ['first above the maximum', { first: 101 }, 'first'],
    ['a negative first', { first: -1 }, 'first'],
    ['an after that is no cursor', { first: 5, after: 'bm9wZQ' }, 'after'],
  ])('refuses %s as BAD_USER_INPUT', async (_label, variables, field) => {
    const me = await newUser();
    expectError(await h.gql(LIST, variables, as(me)), 'BAD_USER_INPUT', field);
  });

  it('needs a user', async () => {
    expectError(await h.gql(LIST, { first: 5 }), 'UNAUTHENTICATED');
    expectError(await h.gql(LIST, { first: 5 }, service), 'UNAUTHENTICATED');
  });
});

describe('entities (what the gateway and other subgraphs ask for)', () => {
  const ENTITIES = `query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on User { id username displayName }
      ... on Conversation { id title memberIds }
    }
  }`;
  const representations = (typename: string, list: string[]) => list.map((id) => ({ __typename: typename, id }));

  it('resolves 50 Users (a page of message senders) with exactly one SQL statement', async () => {
    const users: User[] = [];
    for (let i = 0; i < 50; i++) users.push(await newUser(`sender${i}`));
    const viewer = users[0]!;
    // Senders repeat on a page of messages; the gateway may send a key more than once.
    const keys = [...users.map((u) => u.id).reverse(), users[3]!.id, randomUUID()];

    const before = h.statements.length;
    const result = await h.gql<{ _entities: ({ id: string; username: string } | null)[] }>(
      ENTITIES,
      { representations: representations('User', keys) },
      as(viewer),
    );
    const statements = h.statements.slice(before);

    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.map((e) => e?.id ?? null)).toEqual([...keys.slice(0, -1), null]);
    expect(result.data!._entities[0]).toEqual({ id: users[49]!.id, username: users[49]!.username, displayName: users[49]!.displayName });
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/from "users"/);

    // Users never change: asked again (the next page's senders), the users found are answered from memory, and only
    // the unknown id, which is never kept, goes to the database.
    const again = h.statements.length;
    const second = await h.gql<{ _entities: ({ id: string } | null)[] }>(ENTITIES, { representations: representations('User', keys) }, as(viewer));
    expect(second.data!._entities.map((e) => e?.id ?? null)).toEqual([...keys.slice(0, -1), null]);
    expect(h.statements.slice(again)).toHaveLength(1);
    const known = h.statements.length;
    await h.gql(ENTITIES, { representations: representations('User', keys.slice(0, -1).map((id) => id.toUpperCase())) }, as(viewer));
    expect(h.statements.length).toBe(known);
  }, 60_000);

  it('lets a service read any conversation\'s memberIds, a member read its own, and a non-member nothing', async () => {
    const [me, friend, outsider] = await Promise.all([newUser(), newUser(), newUser()]);
    const conversation = await createConversation(me, [friend.id], 'members');
    const missing = randomUUID();
    const variables = { representations: representations('Conversation', [conversation.id, missing]) };

    const asService = await h.gql<{ _entities: unknown[] }>(ENTITIES, variables, service);
    expect(asService.errors).toBeUndefined();
    expect(asService.data!._entities).toEqual([{ id: conversation.id, title: 'members', memberIds: expect.any(Array) }, null]);
    expect([...(asService.data!._entities[0] as { memberIds: string[] }).memberIds].sort()).toEqual([me.id, friend.id].sort());

    const asMember = await h.gql<{ _entities: unknown[] }>(ENTITIES, variables, as(friend));
    expect(asMember.data!._entities[0]).toMatchObject({ id: conversation.id });

    const asOutsider = await h.gql<{ _entities: unknown[] }>(ENTITIES, variables, as(outsider));
    expect(asOutsider.errors).toBeUndefined();
    expect(asOutsider.data!._entities).toEqual([null, null]);

    // One error per representation.
    const anonymous = await h.gql(ENTITIES, variables);
    expect(anonymous.errors!.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['_entities', 0], 'UNAUTHENTICATED'],
      [['_entities', 1], 'UNAUTHENTICATED'],
    ]);
  });

  it("lets a service read any user's conversationIds (the gateway's myEvents filter), a user only its own", async () => {
    const [me, friend] = await Promise.all([newUser(), newUser()]);
    const shared = await createConversation(me, [friend.id], 'shared');
    const mine = await createConversation(me, [], 'mine');
    const query = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id conversationIds } } }`;
    const variables = { representations: representations('User', [me.id, friend.id, randomUUID()]) };

    const asService = await h.gql<{ _entities: ({ id: string; conversationIds: string[] } | null)[] }>(query, variables, service);
    expect(asService.errors).toBeUndefined();
    const lists = asService.data!._entities.map((e) => (e ? [...e.conversationIds].sort() : null));
    expect(lists).toEqual([[shared.id, mine.id].sort(), [shared.id], null]);

    const own = await h.gql<{ _entities: unknown[] }>(query, { representations: representations('User', [friend.id]) }, as(friend));
    expect(own.data!._entities).toEqual([{ id: friend.id, conversationIds: [shared.id] }]);
    expectError(await h.gql(query, { representations: representations('User', [me.id]) }, as(friend)), 'FORBIDDEN');
  });

  it('refuses anonymous entity lookups of users', async () => {
    const user = await newUser();
    expectError(await h.gql(ENTITIES, { representations: representations('User', [user.id]) }), 'UNAUTHENTICATED');
  });
});

describe('readiness', () => {
  it('reports the database as ready', async () => {
    const response = await fetch(new URL('/readyz', h.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', problems: [] });
  });
});
