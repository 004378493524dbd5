/**
 * What a service asks the users subgraph about conversations (one `_entities` call for many ids), in request order,
 * with null where the conversation does not exist. Failures to reach a peer reject with `PeerUnavailableError`.
 */
export interface ConversationDirectory {
  /** Each conversation's members and title, or null when there is no such conversation. */
  conversations(conversationIds: readonly string[]): Promise<(ConversationFacts | null)[]>;
}

/** What other services need to know of a conversation the users subgraph owns: who is in it, and its title. */
export interface ConversationFacts {
  memberIds: readonly string[];
  /** Set when the conversation is created and never changed (no mutation renames a conversation). */
  title: string | null;
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
