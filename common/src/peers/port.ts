/**
 * What a service asks the users subgraph about conversations (one `_entities` call for many ids), in request order,
 * with null where the conversation does not exist. Failures to reach a peer reject with `PeerUnavailableError`.
 */
export interface ConversationDirectory {
  /** Each conversation's member ids, or null when there is no such conversation. */
  memberIds(conversationIds: readonly string[]): Promise<(readonly string[] | null)[]>;
}

/** The conversations users belong to, asked of the users subgraph (one `_entities` call for many users). */
export interface UserConversationDirectory {
  /** Each user's conversation ids, aligned with `userIds`, or null when there is no such user. */
  conversationIdsOf(userIds: readonly string[]): Promise<(readonly string[] | null)[]>;
}

/** A peer subgraph could not answer (down, timed out, or answered with errors). */
export class PeerUnavailableError extends Error {
  constructor(
    readonly peer: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${peer} subgraph unavailable: ${reason}`, options);
    this.name = 'PeerUnavailableError';
  }
}
