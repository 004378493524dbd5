import type { Logger, MembershipChangeNotice, UserConversationDirectory } from '@chat4all/common';

/** What a `myEvents` subscription's listener asks as each event arrives: synchronously, as a listener must not wait. */
export interface ConversationFilter {
  /** False when the user's last listed conversations do not include this one: its event takes no queue space. */
  mayBelong(conversationId: string): boolean;
  /** The subscription no longer needs the list (safe to call twice). */
  release(): void;
}

export interface MemberListsOptions {
  /**
   * How often each watched list is fetched afresh: `SUBSCRIPTION_MEMBERSHIP_TTL_MS`, so a conversation the user is
   * added to passes the filter within the same bound as the membership cache when its announcement (`apply`) never
   * arrived. 0 (no caching) turns the filter off.
   */
  refreshMs: number;
  /** Users asked per users-subgraph call when the lists are refreshed. */
  maxUsersPerCall?: number;
  log: Logger;
}

interface Watched {
  /** Lower-cased conversation ids. */
  ids: Set<string>;
  holders: number;
  /** Fetches issued and the latest one applied: an older answer arriving late never replaces a newer one. */
  requested: number;
  applied: number;
  first: Promise<void> | undefined;
  /** Fetches under way. */
  fetching: number;
  /**
   * Changes heard while a fetch was under way, in order (emptied once none is): a fetch's answer may predate those heard
   * after it was issued, so they are applied again on top of it. Adding and removing are idempotent, so one the answer
   * already shows changes nothing.
   */
  changes: { conversationId: string; added: boolean }[];
}

const PASS_ALL: ConversationFilter = { mayBelong: () => true, release: () => undefined };

/**
 * The conversations each user with a `myEvents` subscription belongs to, as the users subgraph last listed them
 * (`User.conversationIds`), so such a subscription's bounded queue holds only events of conversations it may belong
 * to and traffic elsewhere cannot fill it. A filter, not the authorization: each event is still checked exactly at
 * delivery (source.ts). One list per user, shared by that user's subscriptions, refreshed every `refreshMs` while any
 * holds it (all users in batches of `maxUsersPerCall`), and changed at once by announced membership changes (`apply`);
 * the first subscription of a user waits for its first list.
 */
export class MemberLists {
  private readonly users = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing = false;

  constructor(
    private readonly directory: UserConversationDirectory,
    private readonly options: MemberListsOptions,
  ) {}

  /** Users whose list is held (tests and metrics). */
  get watchedUsers(): number {
    return this.users.size;
  }

  /** The user's filter, once its list is known; rejects when the users subgraph cannot list it. */
  async watch(userId: string): Promise<ConversationFilter> {
    if (this.options.refreshMs === 0) return PASS_ALL;
    let entry = this.users.get(userId);
    if (!entry) {
      entry = { ids: new Set(), holders: 0, requested: 0, applied: 0, first: undefined, fetching: 0, changes: [] };
      this.users.set(userId, entry);
      this.timer ??= setInterval(() => void this.refresh(), this.options.refreshMs).unref();
    }
    const watched = entry;
    watched.holders++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      watched.holders--;
      if (watched.holders > 0 || this.users.get(userId) !== watched) return;
      this.users.delete(userId);
      if (this.users.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
    try {
      if (watched.applied === 0) {
        // Concurrent first subscriptions of one user share the call; a failed one is not remembered.
        watched.first ??= this.fetch([userId]).catch((error: unknown) => {
          watched.first = undefined;
          throw error;
        });
        await watched.first;
      }
    } catch (error) {
      release();
      throw error;
    }
    return { mayBelong: (conversationId) => watched.ids.has(conversationId.toLowerCase()), release };
  }

  /**
   * An announced change (`conversations.members`) applied to the user's list at once, if it is watched: a conversation
   * the user joins passes the filter without waiting for the next refresh, and one they left stops taking queue space.
   */
  apply(notice: MembershipChangeNotice): void {
    const entry = this.users.get(notice.userId);
    if (!entry) return;
    const conversationId = notice.conversationId.toLowerCase();
    const added = notice.change === 'ADDED';
    applyChange(entry.ids, conversationId, added);
    if (entry.fetching > 0) entry.changes.push({ conversationId, added });
  }

  /** Fetches every watched list afresh; a refresh still running when the next one is due is not doubled. */
  async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      const userIds = [...this.users.keys()];
      const size = this.options.maxUsersPerCall ?? 100;
      const batches: string[][] = [];
      for (let i = 0; i < userIds.length; i += size) batches.push(userIds.slice(i, i + size));
      const results = await Promise.allSettled(batches.map((batch) => this.fetch(batch)));
      const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      // The lists in hand stay in use: delivery still checks membership exactly, only additions wait for the next refresh.
      if (failed.length > 0) this.options.log.warn({ err: failed[0], batches: batches.length, failed: failed.length }, 'myEvents member lists not refreshed');
    } finally {
      this.refreshing = false;
    }
  }

  private async fetch(userIds: readonly string[]): Promise<void> {
    const asked = userIds.map((userId) => {
      const entry = this.users.get(userId);
      if (!entry) return undefined;
      entry.fetching++;
      // `changes` is not emptied while this fetch is under way, so what is heard from now on lies past this index.
      return { entry, version: ++entry.requested, heardFrom: entry.changes.length };
    });
    try {
      const lists = await this.directory.conversationIdsOf(userIds);
      asked.forEach((one, i) => {
        if (!one || one.version <= one.entry.applied) return;
        // An unknown user (null) belongs to nothing.
        const ids = new Set((lists[i] ?? []).map((id) => id.toLowerCase()));
        for (const change of one.entry.changes.slice(one.heardFrom)) applyChange(ids, change.conversationId, change.added);
        one.entry.ids = ids;
        one.entry.applied = one.version;
      });
    } finally {
      for (const one of asked) {
        if (one && --one.entry.fetching === 0) one.entry.changes = [];
      }
    }
  }
}

function applyChange(ids: Set<string>, conversationId: string, added: boolean): void {
  if (added) ids.add(conversationId);
  else ids.delete(conversationId);
}
