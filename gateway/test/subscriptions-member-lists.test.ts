import { createLogger, PeerUnavailableError } from '@chat4all/common';
import { MemberLists } from '../src/subscriptions/member-lists';

/** The myEvents enqueue filter's lists: what the users subgraph answered, shared per user, refreshed on the TTL. */
describe('MemberLists', () => {
  const log = createLogger('test', 'silent');
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** A users subgraph answering from `lists`, recording each call's user ids. */
  function directory(lists: Map<string, string[]>) {
    const calls: string[][] = [];
    let failing = false;
    return {
      calls,
      fail: (on: boolean) => (failing = on),
      conversationIdsOf: async (userIds: readonly string[]) => {
        calls.push([...userIds]);
        if (failing) throw new PeerUnavailableError('users', 'down');
        return userIds.map((id) => lists.get(id) ?? null);
      },
    };
  }

  it('answers from the first list, ids compared without regard to case; subscriptions of one user share one list and one call', async () => {
    const users = directory(new Map([['u1', ['c-a', 'C-B']]]));
    const lists = new MemberLists(users, { refreshMs: 60_000, log });
    const [one, two] = await Promise.all([lists.watch('u1'), lists.watch('u1')]);
    expect(users.calls).toEqual([['u1']]);
    expect(['c-a', 'C-A', 'c-b', 'c-other'].map((id) => one.mayBelong(id))).toEqual([true, true, true, false]);
    expect(two.mayBelong('c-a')).toBe(true);
    one.release();
    one.release(); // twice is once
    expect(lists.watchedUsers).toBe(1);
    two.release();
    expect(lists.watchedUsers).toBe(0);
  });

  it('refreshes every watched list each refreshMs, all users in batches, and stops once nobody holds one', async () => {
    const conversations = new Map([
      ['u1', ['c-a']],
      ['u2', []],
      ['u3', ['c-c']],
    ]);
    const users = directory(conversations);
    const lists = new MemberLists(users, { refreshMs: 100, maxUsersPerCall: 2, log });
    const filters = await Promise.all(['u1', 'u2', 'u3'].map((u) => lists.watch(u)));
    const [u1, u2] = filters;
    conversations.set('u2', ['c-a']); // added
    conversations.set('u1', []); // removed
    // Two refreshes (two calls each) after the three first lists; a busy machine may fire the timer late.
    for (let waited = 0; users.calls.length < 3 + 4 && waited < 5_000; waited += 50) await settle(50);
    expect(u2!.mayBelong('c-a')).toBe(true);
    expect(u1!.mayBelong('c-a')).toBe(false);
    expect(users.calls.slice(3, 7)).toEqual([['u1', 'u2'], ['u3'], ['u1', 'u2'], ['u3']]);
    for (const f of filters) f.release();
    const calls = users.calls.length;
    await settle(250);
    expect(users.calls.length).toBe(calls);
  });

  it('a first list that cannot be fetched fails the watch and is asked again next time; a failed refresh keeps the list in hand', async () => {
    const users = directory(new Map([['u1', ['c-a']]]));
    const lists = new MemberLists(users, { refreshMs: 60_000, log });
    users.fail(true);
    await expect(lists.watch('u1')).rejects.toThrow(PeerUnavailableError);
    expect(lists.watchedUsers).toBe(0);
    users.fail(false);
    const filter = await lists.watch('u1');
    expect(filter.mayBelong('c-a')).toBe(true);
    users.fail(true);
    await lists.refresh();
    expect(filter.mayBelong('c-a')).toBe(true);
    expect(users.calls).toHaveLength(3);
    filter.release();
  });

  it('an older answer arriving after a newer one does not replace it', async () => {
    const answers: ((lists: string[][]) => void)[] = [];
    const lists = new MemberLists({ conversationIdsOf: () => new Promise((resolve) => answers.push(resolve)) }, { refreshMs: 60_000, log });
    const watching = lists.watch('u1');
    await settle(0);
    const refreshing = lists.refresh();
    await settle(0);
    expect(answers).toHaveLength(2);
    answers[1]!([['c-new']]);
    await refreshing;
    answers[0]!([['c-old']]);
    const filter = await watching;
    expect([filter.mayBelong('c-new'), filter.mayBelong('c-old')]).toEqual([true, false]);
    filter.release();
  });

  it('applies an announced change to a watched list at once; an unwatched user is not tracked', async () => {
    const users = directory(new Map([['u1', ['c-a']]]));
    const lists = new MemberLists(users, { refreshMs: 60_000, log });
    const filter = await lists.watch('u1');
    lists.apply({ conversationId: 'C-B', userId: 'u1', change: 'ADDED' });
    lists.apply({ conversationId: 'c-a', userId: 'u1', change: 'REMOVED' });
    lists.apply({ conversationId: 'c-x', userId: 'u2', change: 'ADDED' });
    expect([filter.mayBelong('c-b'), filter.mayBelong('c-a')]).toEqual([true, false]);
    expect(lists.watchedUsers).toBe(1);
    expect(users.calls).toEqual([['u1']]); // no fetch needed
    filter.release();
  });

  it('a change heard while a fetch is under way survives that fetch\'s answer, which may predate it', async () => {
    const answers: ((lists: string[][]) => void)[] = [];
    const lists = new MemberLists({ conversationIdsOf: () => new Promise((resolve) => answers.push(resolve)) }, { refreshMs: 60_000, log });
    const watching = lists.watch('u1');
    await settle(0);
    lists.apply({ conversationId: 'c-new', userId: 'u1', change: 'ADDED' }); // the first list was read before this
    lists.apply({ conversationId: 'c-left', userId: 'u1', change: 'REMOVED' });
    answers[0]!([['c-left', 'c-kept']]);
    const filter = await watching;
    expect(['c-new', 'c-left', 'c-kept'].map((id) => filter.mayBelong(id))).toEqual([true, false, true]);

    // Once no fetch is under way, a later answer stands as given: the changes were in it.
    const refreshing = lists.refresh();
    await settle(0);
    answers[1]!([['c-kept', 'c-left']]); // re-added since
    await refreshing;
    expect(['c-new', 'c-left', 'c-kept'].map((id) => filter.mayBelong(id))).toEqual([false, true, true]);
    filter.release();
  });

  it('with refreshMs 0 (membership caching off) filters nothing and asks nothing', async () => {
    const users = directory(new Map());
    const filter = await new MemberLists(users, { refreshMs: 0, log }).watch('u1');
    expect(filter.mayBelong('anything')).toBe(true);
    expect(users.calls).toEqual([]);
  });
});
