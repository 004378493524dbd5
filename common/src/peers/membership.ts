import DataLoader from 'dataloader';
import { TtlLru } from './lru';
import type { ConversationDirectory } from './port';

export interface MembershipOptions {
  /**
   * How long an answer is reused. This is the bound on how late a membership change takes effect here: a member
   * added (or removed) may be refused (or still allowed) for up to this long. 0 disables caching.
   */
  ttlMs: number;
  /** Most conversations remembered at once; the least recently used is forgotten first. */
  maxEntries: number;
  now?: () => number;
}

type Members = ReadonlySet<string> | null;

/**
 * Who may read and write a conversation, asked of the users subgraph and remembered briefly (bounded LRU with a short
 * TTL), so a burst of sends to one conversation costs one lookup. Concurrent lookups of one conversation share a call,
 * and lookups of different conversations in the same tick go out as one `_entities` batch.
 */
export class Membership {
  private readonly cache: TtlLru<string, Members>;
  private readonly inflight = new Map<string, Promise<Members>>();
  private readonly batch: DataLoader<string, readonly string[] | null>;

  constructor(directory: ConversationDirectory, options: MembershipOptions) {
    this.cache = new TtlLru(options.maxEntries, options.ttlMs, options.now);
    // Batching only: answers are cached above with a TTL, which DataLoader's own cache does not have.
    this.batch = new DataLoader((ids) => directory.memberIds(ids), { cache: false });
  }

  /** The conversation's members, or null when it does not exist. */
  async members(conversationId: string): Promise<Members> {
    const cached = this.cache.get(conversationId);
    if (cached !== undefined) return cached;
    let pending = this.inflight.get(conversationId);
    if (!pending) {
      pending = this.batch
        .load(conversationId)
        .then((ids) => {
          const members = ids === null ? null : new Set(ids);
          this.cache.set(conversationId, members);
          return members;
        })
        .finally(() => this.inflight.delete(conversationId));
      this.inflight.set(conversationId, pending);
    }
    return pending;
  }

  /**
   * Drops the cached answer if it still says `userId` is a member (a peer has just refused that user the
   * conversation), so the next lookup asks the directory afresh. An answer already without the user is kept.
   */
  forget(conversationId: string, userId: string): void {
    if (this.cache.get(conversationId)?.has(userId)) this.cache.delete(conversationId);
  }

  /**
   * The cached answer, without waiting: undefined when the directory must be asked (`isMember` then). Lets a caller
   * that checks the same membership for every event skip a promise per check.
   */
  isMemberNow(conversationId: string, userId: string): boolean | undefined {
    const cached = this.cache.get(conversationId);
    if (cached === undefined) return undefined;
    return cached?.has(userId) ?? false;
  }

  /** False also when the conversation does not exist, so callers cannot tell the two apart. */
  async isMember(conversationId: string, userId: string): Promise<boolean> {
    return (await this.members(conversationId))?.has(userId) ?? false;
  }
}
