import { randomUUID } from 'node:crypto';
import {
  ConversationNotFoundError,
  InvalidCursorError,
  UsernameTakenError,
  UserNotFoundError,
} from './port';
import type { Conversation, User, UserRepository } from './port';

export interface UserRepositoryHarness {
  repository: UserRepository;
  /** Statements sent to the engine so far; lets the suite check round trips, not just results. */
  statementCount(): number;
  close?: () => Promise<void>;
}

/**
 * Behaviour every UserRepository adapter must show. Usernames and ids are fresh in every test, so the
 * suite can run again on the same database without cleanup.
 */
export function describeUserRepositoryContract(name: string, setup: () => Promise<UserRepositoryHarness>): void {
  describe(`UserRepository contract: ${name}`, () => {
    let harness: UserRepositoryHarness;
    let repo: UserRepository;

    beforeAll(async () => {
      harness = await setup();
      repo = harness.repository;
    });
    afterAll(async () => {
      if (!harness) return;
      await harness.repository.close();
      await harness.close?.();
    });

    const unique = (label: string): string => `${label}_${randomUUID().slice(0, 12)}`;
    const newUser = (label = 'user'): Promise<User> =>
      repo.createUser({ username: unique(label), displayName: `${label} display`, passwordHash: `hash-${randomUUID()}` });
    // Activity times ahead of "now", so touches made by a test always move conversations forward.
    const future = (minutes: number): Date => new Date(Date.now() + 24 * 3600_000 + minutes * 60_000);
    const newestFirst = (a: Conversation, b: Conversation): number =>
      b.lastActivityAt.getTime() - a.lastActivityAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

    describe('users', () => {
      it('creates a user and finds it by id', async () => {
        const username = unique('Ada');
        const created = await repo.createUser({ username, displayName: 'Ada Lovelace', passwordHash: 'h1' });

        expect(created).toEqual({ id: expect.any(String), username, displayName: 'Ada Lovelace', passwordHash: 'h1', createdAt: expect.any(Date) });
        expect(Math.abs(created.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
        expect(await repo.findUserById(created.id)).toEqual(created);
      });

      it('rejects a taken username, whatever its case', async () => {
        const username = unique('Grace');
        await repo.createUser({ username, displayName: 'first', passwordHash: 'h' });

        for (const variant of [username, username.toLowerCase(), username.toUpperCase()]) {
          await expect(repo.createUser({ username: variant, displayName: 'second', passwordHash: 'h' })).rejects.toBeInstanceOf(
            UsernameTakenError,
          );
        }
        const other = await repo.createUser({ username: `${username}x`, displayName: 'other', passwordHash: 'h' });
        expect(other.username).toBe(`${username}x`);
      });

      it('finds a user by username without regard to case, keeping the spelling it was given', async () => {
        const username = unique('MiXeD');
        const created = await repo.createUser({ username, displayName: 'm', passwordHash: 'h' });

        expect(await repo.findUserByUsername(username.toLowerCase())).toEqual(created);
        expect(await repo.findUserByUsername(username.toUpperCase())).toEqual(created);
        expect(await repo.findUserByUsername(unique('nobody'))).toBeNull();
      });

      it('answers null for an unknown or malformed id', async () => {
        expect(await repo.findUserById(randomUUID())).toBeNull();
        expect(await repo.findUserById('not-a-uuid')).toBeNull();
      });

      it('looks up a batch aligned with the ids asked for', async () => {
        const [a, b, c] = await Promise.all([newUser('a'), newUser('b'), newUser('c')]);
        const unknown = randomUUID();

        const found = await repo.findUsersByIds([c!.id, unknown, a!.id, 'garbage', c!.id, b!.id]);
        expect(found).toEqual([c, null, a, null, c, b]);
        expect(await repo.findUsersByIds([])).toEqual([]);
      });

      it('loads 50 users with one statement', async () => {
        const users: User[] = [];
        for (let i = 0; i < 50; i++) users.push(await newUser(`batch${i}`));
        const ids = users.map((user) => user.id).reverse();

        const before = harness.statementCount();
        const found = await repo.findUsersByIds(ids);
        const statements = harness.statementCount() - before;

        expect(statements).toBe(1);
        expect(found.map((user) => user?.id)).toEqual(ids);
        expect(found).toEqual([...users].reverse());
      }, 60_000);
    });

    describe('conversations and members', () => {
      it('creates a conversation with its members, each counted once', async () => {
        const [a, b] = await Promise.all([newUser(), newUser()]);
        const conversation = await repo.createConversation({ title: 'Lunch', memberIds: [a!.id, b!.id, a!.id] });

        expect(conversation).toEqual({ id: expect.any(String), title: 'Lunch', createdAt: expect.any(Date), lastActivityAt: conversation.createdAt });
        expect((await repo.memberIds(conversation.id)).sort()).toEqual([a!.id, b!.id].sort());
        expect(await repo.isMember(conversation.id, a!.id)).toBe(true);
        expect(await repo.isMember(conversation.id, b!.id)).toBe(true);
      });

      it('allows a conversation without a title', async () => {
        const a = await newUser();
        const conversation = await repo.createConversation({ title: null, memberIds: [a.id] });
        const page = await repo.listConversationsForUser(a.id, { first: 10 });
        expect(page.items).toEqual([conversation]);
        expect(page.items[0]!.title).toBeNull();
      });

      it('refuses unknown members and creates nothing then', async () => {
        const a = await newUser();
        const unknown = randomUUID();
        const attempt = repo.createConversation({ title: 'ghost', memberIds: [a.id, unknown] });

        await expect(attempt).rejects.toBeInstanceOf(UserNotFoundError);
        await expect(attempt).rejects.toMatchObject({ userIds: [unknown] });
        expect((await repo.listConversationsForUser(a.id, { first: 10 })).items).toEqual([]);
      });

      it('adds a member once, however often asked', async () => {
        const [a, b, outsider] = await Promise.all([newUser(), newUser(), newUser()]);
        const conversation = await repo.createConversation({ title: 'team', memberIds: [a!.id] });

        expect(await repo.isMember(conversation.id, b!.id)).toBe(false);
        expect(await repo.addMember(conversation.id, b!.id)).toBe(true);
        expect(await repo.addMember(conversation.id, b!.id)).toBe(false);
        expect(await repo.isMember(conversation.id, b!.id)).toBe(true);
        expect((await repo.memberIds(conversation.id)).sort()).toEqual([a!.id, b!.id].sort());
        expect(await repo.isMember(conversation.id, outsider!.id)).toBe(false);
      });

      it('names what is missing when adding a member', async () => {
        const a = await newUser();
        const conversation = await repo.createConversation({ title: 'x', memberIds: [a.id] });

        await expect(repo.addMember(randomUUID(), a.id)).rejects.toBeInstanceOf(ConversationNotFoundError);
        await expect(repo.addMember(conversation.id, randomUUID())).rejects.toBeInstanceOf(UserNotFoundError);
        expect(await repo.memberIds(conversation.id)).toEqual([a.id]);
      });

      it('removes a member once, however often asked, leaving the others', async () => {
        const [a, b, c] = await Promise.all([newUser(), newUser(), newUser()]);
        const conversation = await repo.createConversation({ title: 'team', memberIds: [a!.id, b!.id, c!.id] });

        expect(await repo.removeMember(conversation.id, b!.id)).toBe(true);
        expect(await repo.removeMember(conversation.id, b!.id)).toBe(false);
        expect(await repo.isMember(conversation.id, b!.id)).toBe(false);
        expect((await repo.memberIds(conversation.id)).sort()).toEqual([a!.id, c!.id].sort());
        expect((await repo.listConversationsForUser(b!.id, { first: 5 })).items).toEqual([]);
        // The user and the conversation stay; only the membership went. Re-adding works.
        expect(await repo.findUserById(b!.id)).toEqual(b);
        expect(await repo.addMember(conversation.id, b!.id)).toBe(true);
        expect(await repo.isMember(conversation.id, b!.id)).toBe(true);
      });

      it('removes nobody who is not a member, and names a missing conversation', async () => {
        const [a, outsider] = await Promise.all([newUser(), newUser()]);
        const conversation = await repo.createConversation({ title: 'x', memberIds: [a!.id] });

        expect(await repo.removeMember(conversation.id, outsider!.id)).toBe(false);
        expect(await repo.removeMember(conversation.id, randomUUID())).toBe(false);
        expect(await repo.removeMember(conversation.id, 'garbage')).toBe(false);
        await expect(repo.removeMember(randomUUID(), a!.id)).rejects.toBeInstanceOf(ConversationNotFoundError);
        await expect(repo.removeMember('garbage', a!.id)).rejects.toBeInstanceOf(ConversationNotFoundError);
        expect(await repo.memberIds(conversation.id)).toEqual([a!.id]);
      });

      it('lets the last member leave: the conversation stays, with no members', async () => {
        const a = await newUser();
        const conversation = await repo.createConversation({ title: 'solo', memberIds: [a.id] });

        expect(await repo.removeMember(conversation.id, a.id)).toBe(true);
        expect(await repo.memberIds(conversation.id)).toEqual([]);
        expect(await repo.findConversationsByIds([conversation.id])).toEqual([conversation]);
      });

      it('finds conversations by ids, aligned with the ids asked for', async () => {
        const a = await newUser();
        const [c1, c2] = [
          await repo.createConversation({ title: 'one', memberIds: [a.id] }),
          await repo.createConversation({ title: null, memberIds: [a.id] }),
        ];
        const found = await repo.findConversationsByIds([c2.id, randomUUID(), c1.id, 'garbage', c2.id.toUpperCase()]);
        expect(found).toEqual([c2, null, c1, null, c2]);
        expect(await repo.findConversationsByIds([])).toEqual([]);
      });

      it("lists many conversations' members with one statement", async () => {
        const [a, b, c] = await Promise.all([newUser(), newUser(), newUser()]);
        const first = await repo.createConversation({ title: 'ab', memberIds: [a!.id, b!.id] });
        const second = await repo.createConversation({ title: 'c', memberIds: [c!.id] });
        await repo.addMember(second.id, a!.id);
        const unknown = randomUUID();

        const before = harness.statementCount();
        const members = await repo.memberIdsOf([second.id, unknown, first.id, 'garbage']);
        expect(harness.statementCount() - before).toBe(1);

        // Joining order, as memberIds gives it.
        expect(members).toEqual([[c!.id, a!.id], [], await repo.memberIds(first.id), []]);
        expect(members[2]!.sort()).toEqual([a!.id, b!.id].sort());
        expect(await repo.memberIdsOf([])).toEqual([]);
      });

      it("finds the conversations members may see with one statement, following adds and removals", async () => {
        const [a, b, c] = await Promise.all([newUser(), newUser(), newUser()]);
        const ab = await repo.createConversation({ title: 'ab', memberIds: [a!.id, b!.id] });
        const cOnly = await repo.createConversation({ title: null, memberIds: [c!.id] });
        await repo.addMember(cOnly.id, a!.id);
        await repo.removeMember(ab.id, b!.id);

        const before = harness.statementCount();
        const found = await repo.findConversationsForMembers([
          { conversationId: ab.id, userId: a!.id },
          { conversationId: ab.id, userId: b!.id }, // removed
          { conversationId: cOnly.id, userId: c!.id },
          { conversationId: cOnly.id.toUpperCase(), userId: a!.id.toUpperCase() }, // added; ids in any case
          { conversationId: ab.id, userId: c!.id }, // never a member
          { conversationId: randomUUID(), userId: a!.id },
          { conversationId: 'garbage', userId: a!.id },
          { conversationId: ab.id, userId: 'garbage' },
          { conversationId: ab.id, userId: a!.id }, // asked twice
        ]);
        expect(harness.statementCount() - before).toBe(1);
        expect(found).toEqual([ab, null, cOnly, cOnly, null, null, null, null, ab]);

        const none = harness.statementCount();
        expect(await repo.findConversationsForMembers([])).toEqual([]);
        expect(await repo.findConversationsForMembers([{ conversationId: 'garbage', userId: a!.id }])).toEqual([null]);
        expect(harness.statementCount()).toBe(none);
      });

      it("lists many users' conversation ids with one statement, following adds and removals", async () => {
        const [a, b, c] = await Promise.all([newUser(), newUser(), newUser()]);
        const ab = await repo.createConversation({ title: 'ab', memberIds: [a!.id, b!.id] });
        const bOnly = await repo.createConversation({ title: 'b', memberIds: [b!.id] });
        await repo.addMember(bOnly.id, c!.id);
        await repo.removeMember(ab.id, b!.id);

        const before = harness.statementCount();
        const lists = await repo.conversationIdsOf([b!.id, randomUUID(), a!.id, 'garbage', c!.id.toUpperCase()]);
        expect(harness.statementCount() - before).toBe(1);
        expect(lists).toEqual([[bOnly.id], [], [ab.id], [], [bOnly.id]]);
        expect(await repo.conversationIdsOf([])).toEqual([]);
      });

      it('keeps every change made concurrently: transactions and plain statements interleaved', async () => {
        const [a, b] = await Promise.all([newUser(), newUser()]);
        const at = future(1);
        const created = await Promise.all(
          Array.from({ length: 10 }, (_, i) => repo.createConversation({ title: `parallel ${i}`, memberIds: [a!.id] })),
        );
        await Promise.all([
          ...created.map((conversation) => repo.addMember(conversation.id, b!.id)),
          ...created.map((conversation) => repo.touchConversation(conversation.id, at)),
          repo.listConversationsForUser(a!.id, { first: 5 }),
          repo.createConversation({ title: 'meanwhile', memberIds: [a!.id, b!.id] }),
        ]);
        await Promise.all(created.slice(0, 5).map((conversation) => repo.removeMember(conversation.id, a!.id)));

        const ofA = await repo.listConversationsForUser(a!.id, { first: 20 });
        const ofB = await repo.listConversationsForUser(b!.id, { first: 20 });
        expect(ofA.items).toHaveLength(6);
        expect(ofB.items).toHaveLength(11);
        const parallel = ofB.items.filter((c) => c.title?.startsWith('parallel'));
        expect(parallel.map((c) => c.lastActivityAt)).toEqual(created.map(() => at));
      });

      it('knows no members of an unknown conversation', async () => {
        expect(await repo.memberIds(randomUUID())).toEqual([]);
        expect(await repo.isMember(randomUUID(), randomUUID())).toBe(false);
      });
    });

    describe("a user's conversations", () => {
      it('pages newest activity first, ties broken by id, through opaque cursors', async () => {
        const [me, other] = await Promise.all([newUser('me'), newUser('other')]);
        const mine: Conversation[] = [];
        for (let i = 0; i < 7; i++) mine.push(await repo.createConversation({ title: `c${i}`, memberIds: [me!.id, other!.id] }));
        await repo.createConversation({ title: 'not mine', memberIds: [other!.id] });
        // Distinct times out of creation order, and two conversations sharing one time.
        const base = future(0).getTime();
        const minutes = [5, 1, 7, 5, 3, 6, 2];
        for (const [i, conversation] of mine.entries()) {
          const at = new Date(base + minutes[i]! * 60_000);
          expect(await repo.touchConversation(conversation.id, at)).toBe(true);
          conversation.lastActivityAt = at;
        }
        const expected = [...mine].sort(newestFirst);

        const seen: Conversation[] = [];
        const cursors: string[] = [];
        let after: string | null = null;
        for (let pageNo = 0; pageNo < 10; pageNo++) {
          const page = await repo.listConversationsForUser(me!.id, { first: 3, after });
          seen.push(...page.items);
          expect(page.endCursor).toEqual(page.items.length ? expect.any(String) : null);
          if (!page.hasNextPage) break;
          expect(page.items).toHaveLength(3);
          cursors.push(page.endCursor!);
          after = page.endCursor;
        }
        expect(seen).toEqual(expected);
        expect(cursors).toHaveLength(2);
        // The shared time really is a tie, split across the first page boundary: the cursor's id decided.
        expect(expected[2]!.lastActivityAt).toEqual(expected[3]!.lastActivityAt);

        const whole = await repo.listConversationsForUser(me!.id, { first: 7 });
        expect(whole).toEqual({ items: expected, endCursor: expect.any(String), hasNextPage: false });
      });

      it('shows a new member the conversations it joined', async () => {
        const [a, b] = await Promise.all([newUser(), newUser()]);
        const conversation = await repo.createConversation({ title: 'later', memberIds: [a!.id] });
        expect((await repo.listConversationsForUser(b!.id, { first: 5 })).items).toEqual([]);

        await repo.addMember(conversation.id, b!.id);
        expect((await repo.listConversationsForUser(b!.id, { first: 5 })).items.map((c) => c.id)).toEqual([conversation.id]);
      });

      it('gives an empty page to a user without conversations', async () => {
        const lonely = await newUser();
        expect(await repo.listConversationsForUser(lonely.id, { first: 5 })).toEqual({ items: [], endCursor: null, hasNextPage: false });
      });

      it('rejects cursors it did not issue and page sizes out of range', async () => {
        const a = await newUser();
        await expect(repo.listConversationsForUser(a.id, { first: 5, after: 'bm9wZQ' })).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(repo.listConversationsForUser(a.id, { first: 5, after: '%%%' })).rejects.toBeInstanceOf(InvalidCursorError);
        for (const at of ['0000-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000Z']) {
          // Year 0000 is a date JavaScript writes and PostgreSQL refuses; year 0001 is the first both take.
          const forged = Buffer.from(JSON.stringify([at, randomUUID()])).toString('base64url');
          const listed = repo.listConversationsForUser(a.id, { first: 5, after: forged });
          if (at.startsWith('0000')) await expect(listed).rejects.toBeInstanceOf(InvalidCursorError);
          else expect((await listed).items).toEqual([]);
        }
        await expect(repo.listConversationsForUser(a.id, { first: 0 })).rejects.toBeInstanceOf(RangeError);
        await expect(repo.listConversationsForUser(a.id, { first: 1.5 })).rejects.toBeInstanceOf(RangeError);
      });

      it('only ever moves activity forward', async () => {
        const a = await newUser();
        const conversation = await repo.createConversation({ title: 't', memberIds: [a.id] });
        const later = future(10);

        expect(await repo.touchConversation(conversation.id, later)).toBe(true);
        expect(await repo.touchConversation(conversation.id, future(5))).toBe(false);
        expect(await repo.touchConversation(conversation.id, new Date(later))).toBe(false);
        expect(await repo.touchConversation(conversation.id, new Date(0))).toBe(false);
        const [listed] = (await repo.listConversationsForUser(a.id, { first: 1 })).items;
        expect(listed!.lastActivityAt).toEqual(later);
        expect(listed!.createdAt).toEqual(conversation.createdAt);

        const latest = future(11);
        expect(await repo.touchConversation(conversation.id, latest)).toBe(true);
        expect((await repo.listConversationsForUser(a.id, { first: 1 })).items[0]!.lastActivityAt).toEqual(latest);
        expect(await repo.touchConversation(randomUUID(), latest)).toBe(false);
      });

      it('touches many conversations in one call: each to its latest time, only forward, counting those that moved', async () => {
        const a = await newUser();
        const [c1, c2, c3] = await Promise.all([1, 2, 3].map((n) => repo.createConversation({ title: `t${n}`, memberIds: [a.id] })));
        const base = future(0);
        const at = (minutes: number) => new Date(base.getTime() + minutes * 60_000);
        expect(await repo.touchConversation(c3!.id, at(30))).toBe(true);

        const moved = await repo.touchConversations([
          { conversationId: c1!.id, at: at(10) },
          { conversationId: c1!.id, at: at(12) }, // the latest of c1's touches wins, in any order
          { conversationId: c1!.id, at: at(11) },
          { conversationId: c2!.id.toUpperCase(), at: at(20) },
          { conversationId: c3!.id, at: at(25) }, // behind what c3 has: no move
          { conversationId: randomUUID(), at: at(40) }, // unknown
          { conversationId: 'not-a-uuid', at: at(40) },
        ]);
        expect(moved).toBe(2);
        const listed = (await repo.listConversationsForUser(a.id, { first: 3 })).items.map((c) => [c.id, c.lastActivityAt]);
        expect(listed).toEqual([
          [c3!.id, at(30)],
          [c2!.id, at(20)],
          [c1!.id, at(12)],
        ]);
        expect(await repo.touchConversations([])).toBe(0);
        expect(await repo.touchConversations([{ conversationId: c1!.id, at: at(12) }])).toBe(0);
      });
    });
  });
}
