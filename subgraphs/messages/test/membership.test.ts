import { randomUUID } from 'node:crypto';
import { Membership } from '../src/peers/membership';
import { PeerUnavailableError, type ConversationDirectory, type ConversationFacts } from '../src/peers/port';

/** A directory answering from a map, recording each batch it was asked (the users subgraph in these unit tests). */
class RecordingDirectory implements ConversationDirectory {
  readonly members = new Map<string, string[]>();
  readonly batches: string[][] = [];
  failNext = false;

  readonly titles = new Map<string, string>();

  async conversations(ids: readonly string[]): Promise<(ConversationFacts | null)[]> {
    this.batches.push([...ids]);
    if (this.failNext) {
      this.failNext = false;
      throw new PeerUnavailableError('users', 'down for the test');
    }
    return ids.map((id) => {
      const memberIds = this.members.get(id);
      return memberIds ? { memberIds, title: this.titles.get(id) ?? null } : null;
    });
  }
}

/** Makes the directory's answers (taken when asked) arrive only once the returned function is called. */
function holdAnswers(directory: RecordingDirectory): () => void {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const answer = directory.conversations.bind(directory);
  directory.conversations = async (ids) => {
    const answered = await answer(ids);
    await held;
    return answered;
  };
  return release;
}

/** Timers on the test's clock: tasks run when `runDue` finds them due (`schedule` option of Membership). */
class ManualSchedule {
  private tasks: { at: number; task: () => void }[] = [];
  constructor(private readonly clock: () => number) {}
  readonly schedule = (task: () => void, delayMs: number): void => void this.tasks.push({ at: this.clock() + delayMs, task });
  get pending(): number {
    return this.tasks.length;
  }
  runDue(): void {
    const due = this.tasks.filter((t) => t.at <= this.clock());
    this.tasks = this.tasks.filter((t) => t.at > this.clock());
    for (const t of due) t.task();
  }
}

/** Lets pending lookups (the directory answers in a microtask) settle. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('Membership', () => {
  let now = 0;
  const clock = () => now;
  const alice = randomUUID();
  const bob = randomUUID();
  let directory: RecordingDirectory;
  let conv: string;

  beforeEach(() => {
    now = 10_000;
    directory = new RecordingDirectory();
    conv = randomUUID();
    directory.members.set(conv, [alice]);
  });

  it('answers from the directory, and false for non-members and unknown conversations alike', async () => {
    const membership = new Membership(directory, { ttlMs: 2000, maxEntries: 100, refreshBatchMs: 0, now: clock });
    expect(await membership.isMember(conv, alice)).toBe(true);
    expect(await membership.isMember(conv, bob)).toBe(false);
    expect(await membership.isMember(randomUUID(), alice)).toBe(false);
  });

  it("gives a member the conversation's title from the same lookup, and non-members and unknown conversations null", async () => {
    const membership = new Membership(directory, { ttlMs: 2000, maxEntries: 100, refreshBatchMs: 0, now: clock });
    directory.titles.set(conv, 'Lunch');
    const untitled = randomUUID();
    directory.members.set(untitled, [bob]);
    expect(await membership.conversationFor(conv, alice)).toEqual({ title: 'Lunch' });
    expect(await membership.conversationFor(conv, bob)).toBeNull();
    expect(await membership.isMember(conv, alice)).toBe(true);
    expect(await membership.conversationFor(untitled, bob)).toEqual({ title: null });
    expect(await membership.conversationFor(randomUUID(), alice)).toBeNull();
    expect(directory.batches).toHaveLength(3); // the checks of one conversation share its cached answer
  });

  it('isMemberNow answers from the cache alone: undefined until a lookup, then the cached answer until the TTL', async () => {
    const membership = new Membership(directory, { ttlMs: 2000, maxEntries: 100, refreshBatchMs: 0, now: clock });
    const unknown = randomUUID();
    expect(membership.isMemberNow(conv, alice)).toBeUndefined();
    expect(directory.batches).toEqual([]); // it never asks the directory
    expect(await membership.isMember(conv, alice)).toBe(true);
    expect(await membership.isMember(unknown, alice)).toBe(false);
    expect(membership.isMemberNow(conv, alice)).toBe(true);
    expect(membership.isMemberNow(conv, bob)).toBe(false);
    expect(membership.isMemberNow(unknown, alice)).toBe(false); // a conversation that does not exist: false, as isMember
    now += 2000;
    expect(membership.isMemberNow(conv, alice)).toBeUndefined();
    expect(directory.batches).toEqual([[conv], [unknown]]);
  });

  it('reuses an answer within the TTL, so a change takes effect only after it', async () => {
    const membership = new Membership(directory, { ttlMs: 2000, maxEntries: 100, refreshBatchMs: 0, now: clock });
    expect(await membership.isMember(conv, bob)).toBe(false);
    directory.members.set(conv, [alice, bob]); // bob added
    now += 1999;
    expect(await membership.isMember(conv, bob)).toBe(false);
    now += 1;
    expect(await membership.isMember(conv, bob)).toBe(true);
    expect(directory.batches).toEqual([[conv], [conv]]);
  });

  it('asks an answer in use afresh in the background once 0.75 of the TTL passed, answering from the cache meanwhile', async () => {
    const membership = new Membership(directory, { ttlMs: 2000, maxEntries: 100, refreshBatchMs: 0, now: clock });
    expect(await membership.isMember(conv, bob)).toBe(false);
    directory.members.set(conv, [alice, bob]); // bob added
    now += 100;
    expect(membership.isMemberNow(conv, bob)).toBe(false); // in use
    now += 1399;
    expect(membership.isMemberNow(conv, bob)).toBe(false);
    expect(directory.batches).toEqual([[conv]]); // not due yet
    now += 1;
    // Due: the answer at hand is used at once (no wait for the directory), and the directory is asked once.
    expect(membership.isMemberNow(conv, bob)).toBe(false);
    expect(membership.isMemberNow(conv, bob)).toBe(false);
    await flush();
    expect(directory.batches).toEqual([[conv], [conv]]);
    expect(membership.isMemberNow(conv, bob)).toBe(true);
    // The refreshed answer lives its own TTL: past the first answer's, nothing waits.
    now += 1000;
    expect(membership.isMemberNow(conv, bob)).toBe(true);
    expect(directory.batches).toHaveLength(2);
  });

  it('sends background refreshes falling due within refreshBatchMs in one call; a lookup that waits goes out at once', async () => {
    const timers = new ManualSchedule(clock);
    const membership = new Membership(directory, { ttlMs: 2000, maxEntries: 100, refreshBatchMs: 40, now: clock, schedule: timers.schedule });
    const conv2 = randomUUID();
    const conv3 = randomUUID();
    directory.members.set(conv2, [alice]);
    expect(await membership.isMember(conv, alice)).toBe(true);
    now += 5;
    expect(await membership.isMember(conv2, alice)).toBe(true);
    now += 100;
    membership.isMemberNow(conv, alice); // both in use
    membership.isMemberNow(conv2, alice);
    now += 1395;
    timers.runDue(); // conv due: its refresh waits 40 ms for company
    await flush();
    now += 5;
    timers.runDue(); // conv2 due 5 ms later: joins it
    await flush();
    expect(await membership.isMember(conv3, alice)).toBe(false); // a miss is asked at once, not held with them
    expect(directory.batches).toEqual([[conv], [conv2], [conv3]]);
    directory.members.set(conv, [alice, bob]);
    now += 34;
    timers.runDue();
    await flush();
    expect(directory.batches).toHaveLength(3); // 39 ms after conv fell due: still waiting
    expect(membership.isMemberNow(conv, bob)).toBe(false); // the answer at hand meanwhile
    now += 1;
    timers.runDue();
    await flush();
    expect(directory.batches).toEqual([[conv], [conv2], [conv3], [conv, conv2]]);
    expect(membership.isMemberNow(conv, bob)).toBe(true); // the refreshed answer
  });

  it('times the refresh of an answer from its first use: due with no further use, refreshes due together share a call, and the next use waits for nothing', async () => {
    const timers = new ManualSchedule(clock);
    const membership = new Membership(directory, { ttlMs: 2000, maxEntries: 100, refreshBatchMs: 40, now: clock, schedule: timers.schedule });
    const conv2 = randomUUID();
    directory.members.set(conv2, [alice]);
    expect(await Promise.all([membership.isMember(conv, alice), membership.isMember(conv2, alice)])).toEqual([true, true]);
    expect(timers.pending).toBe(0); // the lookup's own callers do not count as a use
    now += 300;
    membership.isMemberNow(conv, alice); // first use of each: refresh timed for 1500 ms after the answer was stored
    membership.isMemberNow(conv2, alice);
    membership.isMemberNow(conv2, alice); // a later use times nothing more
    expect(timers.pending).toBe(2);
    directory.members.set(conv, [alice, bob]);
    now += 1199;
    timers.runDue();
    await flush();
    expect(timers.pending).toBe(2); // not due yet
    now += 1;
    timers.runDue(); // both due: one refresh call, sent once refreshBatchMs has passed
    await flush();
    expect(timers.pending).toBe(1);
    now += 40;
    timers.runDue();
    await flush();
    expect(directory.batches).toEqual([[conv, conv2], [conv, conv2]]); // both, in one call, with no use at all
    // Past the first answers' TTL: the refreshed answers are there, nobody waits.
    now += 1000;
    expect(membership.isMemberNow(conv, bob)).toBe(true);
    expect(membership.isMemberNow(conv2, alice)).toBe(true);
    expect(directory.batches).toHaveLength(2);
  });

  it('a timed refresh does nothing when its answer is gone: forgotten, replaced or expired', async () => {
    const timers = new ManualSchedule(clock);
    const membership = new Membership(directory, { ttlMs: 2000, maxEntries: 100, refreshBatchMs: 0, now: clock, schedule: timers.schedule });
    expect(await membership.isMember(conv, alice)).toBe(true);
    membership.isMemberNow(conv, alice); // timed
    membership.forget(conv, alice);
    now += 1500;
    timers.runDue();
    await flush();
    expect(directory.batches).toEqual([[conv]]); // forgotten: not asked again until someone asks
    expect(await membership.isMember(conv, alice)).toBe(true);
    membership.isMemberNow(conv, alice); // timed again
    now += 2000;
    timers.runDue(); // late: the answer has expired
    await flush();
    expect(directory.batches).toEqual([[conv], [conv]]);
  });

  it('does not refresh an answer unused since it was stored: asked about less than once a TTL, a conversation costs no extra lookups', async () => {
    const membership = new Membership(directory, { ttlMs: 2000, maxEntries: 100, refreshBatchMs: 0, now: clock });
    for (let i = 0; i < 4; i++) {
      expect(await membership.isMember(conv, alice)).toBe(true);
      now += 1850;
    }
    await flush();
    // Lookups at 0 and 3700 ms; the uses at 1850 and 5550 ms answered from the cache, refreshing nothing.
    expect(directory.batches).toEqual([[conv], [conv]]);
  });

  it('a failed background refresh keeps the answer until its TTL; then the caller waits for the directory', async () => {
    const membership = new Membership(directory, { ttlMs: 2000, maxEntries: 100, refreshBatchMs: 0, now: clock });
    expect(await membership.isMember(conv, alice)).toBe(true);
    now += 100;
    expect(await membership.isMember(conv, alice)).toBe(true); // in use
    directory.failNext = true;
    now += 1400;
    expect(await membership.isMember(conv, alice)).toBe(true);
    await flush();
    expect(directory.batches).toHaveLength(2); // the refresh failed
    directory.members.set(conv, []); // alice removed
    now += 499;
    expect(await membership.isMember(conv, alice)).toBe(true); // still within the first answer's TTL; asks again
    await flush();
    expect(directory.batches).toHaveLength(3);
    expect(await membership.isMember(conv, alice)).toBe(false);
  });

  it('never uses an answer past its TTL, however often it is asked', async () => {
    const membership = new Membership(directory, { ttlMs: 2000, maxEntries: 100, refreshBatchMs: 0, now: clock });
    expect(await membership.isMember(conv, alice)).toBe(true);
    const release = holdAnswers(directory);
    directory.members.set(conv, []); // alice removed; the directory is slow to say so
    now += 100;
    expect(membership.isMemberNow(conv, alice)).toBe(true); // in use
    now += 1400;
    expect(membership.isMemberNow(conv, alice)).toBe(true); // refresh under way
    now += 500;
    expect(membership.isMemberNow(conv, alice)).toBeUndefined(); // expired: no answer without the directory
    const waiting = membership.isMember(conv, alice);
    release();
    expect(await waiting).toBe(false);
    expect(directory.batches).toEqual([[conv], [conv]]); // the caller joined the refresh under way
  });

  it('forget drops a cached answer that still calls the user a member, so the next lookup asks afresh', async () => {
    const membership = new Membership(directory, { ttlMs: 60_000, maxEntries: 100, refreshBatchMs: 0, now: clock });
    expect(await membership.isMember(conv, alice)).toBe(true);
    directory.members.set(conv, []); // alice removed
    membership.forget(conv, bob); // the answer already leaves bob out: kept
    expect(await membership.isMember(conv, alice)).toBe(true);
    membership.forget(conv, alice);
    expect(await membership.isMember(conv, alice)).toBe(false);
    membership.forget(conv, alice); // the fresh answer leaves alice out: kept
    expect(await membership.isMember(conv, alice)).toBe(false);
    expect(directory.batches).toEqual([[conv], [conv]]);
  });

  it('forget also drops a lookup under way: its answer reaches its callers but is not cached', async () => {
    const membership = new Membership(directory, { ttlMs: 60_000, maxEntries: 100, refreshBatchMs: 0, now: clock });
    expect(await membership.isMember(conv, alice)).toBe(true);
    const release = holdAnswers(directory);
    expect(membership.isMemberNow(conv, alice)).toBe(true); // in use
    now += 45_000;
    expect(membership.isMemberNow(conv, alice)).toBe(true); // a refresh starts
    await flush(); // the directory has answered "alice is a member"; the answer is on its way
    directory.members.set(conv, []);
    membership.forget(conv, alice); // a peer has just refused alice
    release();
    await flush();
    expect(await membership.isMember(conv, alice)).toBe(false); // the refresh's answer was not kept
    expect(directory.batches).toEqual([[conv], [conv], [conv]]);
  });

  it('invalidate (a change announced) drops the answer whatever it says, and a lookup under way is not cached', async () => {
    const membership = new Membership(directory, { ttlMs: 60_000, maxEntries: 100, refreshBatchMs: 0, now: clock });
    expect(await membership.isMember(conv, alice)).toBe(true);
    expect(await membership.isMember(conv, bob)).toBe(false);
    directory.members.set(conv, [alice, bob]); // bob added: the cached answer would refuse him for a minute
    membership.invalidate(conv);
    expect(membership.isMemberNow(conv, bob)).toBeUndefined();
    expect(await membership.isMember(conv, bob)).toBe(true);

    const release = holdAnswers(directory);
    membership.invalidate(conv);
    const asked = membership.isMember(conv, alice); // answered "alice is a member" before the change below
    await flush();
    directory.members.set(conv, [bob]); // alice removed meanwhile
    membership.invalidate(conv);
    release();
    expect(await asked).toBe(true); // its own caller gets the answer it asked for
    expect(await membership.isMember(conv, alice)).toBe(false); // but it was not kept
    expect(directory.batches).toEqual([[conv], [conv], [conv], [conv]]);
  });

  it('shares one call between concurrent lookups and batches different conversations', async () => {
    const other = randomUUID();
    directory.members.set(other, [bob]);
    const membership = new Membership(directory, { ttlMs: 2000, maxEntries: 100, refreshBatchMs: 0, now: clock });
    const answers = await Promise.all([
      membership.isMember(conv, alice),
      membership.isMember(conv, alice),
      membership.isMember(other, bob),
      membership.isMember(conv, bob),
    ]);
    expect(answers).toEqual([true, true, true, false]);
    expect(directory.batches).toEqual([[conv, other]]);
  });

  it('stays bounded: the least recently used conversation is asked again', async () => {
    const membership = new Membership(directory, { ttlMs: 60_000, maxEntries: 2, refreshBatchMs: 0, now: clock });
    const [a, b] = [randomUUID(), randomUUID()];
    await membership.isMember(conv, alice);
    await membership.isMember(a, alice);
    await membership.isMember(b, alice); // evicts conv
    await membership.isMember(conv, alice);
    expect(directory.batches).toEqual([[conv], [a], [b], [conv]]);
  });

  it('does not remember a failure', async () => {
    const membership = new Membership(directory, { ttlMs: 2000, maxEntries: 100, refreshBatchMs: 0, now: clock });
    directory.failNext = true;
    await expect(membership.isMember(conv, alice)).rejects.toThrow(PeerUnavailableError);
    expect(await membership.isMember(conv, alice)).toBe(true);
  });

  it('asks every time with a TTL of 0', async () => {
    const membership = new Membership(directory, { ttlMs: 0, maxEntries: 100, refreshBatchMs: 0, now: clock });
    await membership.isMember(conv, alice);
    await membership.isMember(conv, alice);
    expect(directory.batches).toHaveLength(2);
  });
});
