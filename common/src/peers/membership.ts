import DataLoader from 'dataloader';
import { TtlLru } from './lru';
import type { ConversationDirectory, ConversationFacts } from './port';

export interface MembershipOptions {
  /**
   * How long an answer is reused. An announced change drops the answer at once (`invalidate`); the TTL bounds how late a
   * change takes effect when its announcement is lost (the bus down): a member added (or removed) may be refused (or
   * still allowed) for up to this long. 0 disables caching.
   */
  ttlMs: number;
  /** Most conversations remembered at once; the least recently used is forgotten first. */
  maxEntries: number;
  /**
   * How long a background refresh waits for others to go out with it in one directory call. Nothing waits for a
   * refresh (the answer at hand is used meanwhile), so this costs no request any time. Default: 5% of the TTL, at most
   * 50 ms, so a refresh still lands well before the answer expires. 0: each goes out in the tick it fell due.
   */
  refreshBatchMs?: number;
  now?: () => number;
  /**
   * Runs `task` after `delayMs` without keeping the process alive (default: an unref'd `setTimeout`): timed refreshes
   * and the `refreshBatchMs` wait both go through it, so tests drive them on their own clock.
   */
  schedule?: (task: () => void, delayMs: number) => void;
}

const unrefTimeout = (task: () => void, delayMs: number): void => void setTimeout(task, delayMs).unref();

/** Most conversations asked in one directory call. */
const MAX_BATCH = 100;

/** A conversation's members (a set, for the check on every use) and title; null when there is no such conversation. */
type Answer = { members: ReadonlySet<string>; title: string | null } | null;

/** A conversation as one of its members sees it here. */
export interface MemberView {
  title: string | null;
}

/** A cached answer, when it was stored, and whether it has been used since. */
interface Entry {
  answer: Answer;
  storedAt: number;
  used: boolean;
}

/**
 * An answer in use is asked afresh in the background once it is this share of the TTL old, and used meanwhile: a
 * conversation in steady use keeps a fresh answer and never waits for the directory, where with a plain TTL one
 * request in every TTL (and all that arrive during the lookup) would (at 50 history pages/s with a 2 s TTL, that is 1%
 * of them: the p99). Such a conversation costs one lookup per 0.75 TTL instead of one per TTL. The refresh is timed
 * from the answer's first use, not left to the next use: a use that came after the TTL (200 conversations read at 150
 * pages/s: each every 1.3 s, with a 2 s TTL) would wait for a lookup of its own, one call per conversation, where
 * timed refreshes falling due together share a call. An answer not used since it was stored is not refreshed, so a
 * conversation asked about less often than once a TTL costs no more lookups than without refreshing.
 */
const REFRESH_AFTER_SHARE = 0.75;

/**
 * Who may read and write a conversation (and its title, which comes with the same lookup), asked of the users subgraph
 * and remembered briefly (bounded LRU with a short TTL), so a burst of sends to one conversation costs one lookup.
 * Concurrent lookups of one conversation share a call, and lookups of different conversations in the same tick go out
 * as one `_entities` batch. An answer in use is asked afresh in the background once 0.75 of its TTL has passed
 * (refreshes falling due within `refreshBatchMs` of each other share a call); no answer is ever used after its TTL.
 */
export class Membership {
  private readonly cache: TtlLru<string, Entry>;
  private readonly inflight = new Map<string, Promise<Answer>>();
  private readonly batch: DataLoader<string, ConversationFacts | null>;
  /**
   * Background refreshes: a conversation in steady use falls due every 0.75 TTL, each at its own moment, so with tick
   * batching alone every refresh was a call of its own (at ~220 history pages/s over 200 conversations, ~110 calls/s).
   */
  private readonly refreshBatch: DataLoader<string, ConversationFacts | null>;
  private readonly now: () => number;
  private readonly schedule: (task: () => void, delayMs: number) => void;
  private readonly refreshAfterMs: number;

  constructor(directory: ConversationDirectory, options: MembershipOptions) {
    this.now = options.now ?? Date.now;
    this.schedule = options.schedule ?? unrefTimeout;
    this.cache = new TtlLru(options.maxEntries, options.ttlMs, this.now);
    this.refreshAfterMs = options.ttlMs * REFRESH_AFTER_SHARE;
    // Batching only: answers are cached above with a TTL, which DataLoader's own cache does not have.
    const ask = (ids: readonly string[]) => directory.conversations(ids);
    this.batch = new DataLoader(ask, { cache: false, maxBatchSize: MAX_BATCH });
    const refreshBatchMs = options.refreshBatchMs ?? Math.min(50, Math.floor(options.ttlMs * 0.05));
    this.refreshBatch =
      refreshBatchMs > 0
        ? new DataLoader(ask, { cache: false, maxBatchSize: MAX_BATCH, batchScheduleFn: (send) => this.schedule(send, refreshBatchMs) })
        : this.batch;
  }

  /**
   * The conversation as `userId` sees it when a member, else null (also when it does not exist, so callers cannot
   * tell the two apart).
   */
  async conversationFor(conversationId: string, userId: string): Promise<MemberView | null> {
    const answer = await this.answer(conversationId);
    return answer?.members.has(userId) ? { title: answer.title } : null;
  }

  /**
   * Drops the cached answer if it still says `userId` is a member (a peer has just refused that user the
   * conversation), so the next lookup asks the directory afresh; a lookup already under way then answers its own
   * callers but is not cached, as it may have been answered before the change. An answer already without the user is
   * kept.
   */
  forget(conversationId: string, userId: string): void {
    if (this.cache.get(conversationId)?.answer?.members.has(userId)) {
      this.cache.delete(conversationId);
      this.inflight.delete(conversationId);
    }
  }

  /**
   * Drops all that is known of the conversation (a change to its members was announced): the next use asks the
   * directory, and a lookup already under way answers its own callers but is not cached, as it may have been answered
   * before the change.
   */
  invalidate(conversationId: string): void {
    this.cache.delete(conversationId);
    this.inflight.delete(conversationId);
  }

  /**
   * The cached answer, without waiting: undefined when the directory must be asked (`isMember` then). Lets a caller
   * that checks the same membership for every event skip a promise per check.
   */
  isMemberNow(conversationId: string, userId: string): boolean | undefined {
    const cached = this.cached(conversationId);
    if (cached === undefined) return undefined;
    return cached?.members.has(userId) ?? false;
  }

  /** False also when the conversation does not exist, so callers cannot tell the two apart. */
  async isMember(conversationId: string, userId: string): Promise<boolean> {
    return (await this.answer(conversationId))?.members.has(userId) ?? false;
  }

  /** The conversation's members and title (null when it does not exist), cached or asked. */
  private answer(conversationId: string): Promise<Answer> {
    const cached = this.cached(conversationId);
    if (cached !== undefined) return Promise.resolve(cached);
    return this.inflight.get(conversationId) ?? this.lookUp(conversationId);
  }

  /**
   * The answer within its TTL, or undefined. Its first use times its background refresh; a use finding it due (the
   * timer late, or a refresh failed) asks afresh too.
   */
  private cached(conversationId: string): Answer | undefined {
    const entry = this.cache.get(conversationId);
    if (entry === undefined) return undefined;
    if (!entry.used) {
      entry.used = true;
      this.schedule(() => this.refreshIfStill(conversationId, entry), Math.max(0, entry.storedAt + this.refreshAfterMs - this.now()));
    } else if (this.now() - entry.storedAt >= this.refreshAfterMs) {
      this.refresh(conversationId);
    }
    return entry.answer;
  }

  /** A timed refresh, unless the answer it was timed for is gone (forgotten, evicted, expired or already replaced). */
  private refreshIfStill(conversationId: string, entry: Entry): void {
    if (this.cache.peek(conversationId) === entry) this.refresh(conversationId);
  }

  private refresh(conversationId: string): void {
    if (this.inflight.has(conversationId)) return;
    // A failed refresh changes nothing: the answer stays until its TTL, and the next use asks again.
    this.lookUp(conversationId, this.refreshBatch).catch(() => undefined);
  }

  private lookUp(conversationId: string, loader = this.batch): Promise<Answer> {
    const pending: Promise<Answer> = loader
      .load(conversationId)
      .then((facts) => {
        const answer = facts === null ? null : { members: new Set(facts.memberIds), title: facts.title };
        // Only the lookup still registered is cached: `forget` may have dropped this one while it was under way.
        if (this.inflight.get(conversationId) === pending) this.cache.set(conversationId, { answer, storedAt: this.now(), used: false });
        return answer;
      })
      .finally(() => {
        if (this.inflight.get(conversationId) === pending) this.inflight.delete(conversationId);
      });
    this.inflight.set(conversationId, pending);
    return pending;
  }
}
