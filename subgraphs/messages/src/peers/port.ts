/**
 * What this subgraph asks the other subgraphs. Both answer for many ids at once (one `_entities` call), in request
 * order, with null where the entity does not exist. Failures to reach a peer reject with `PeerUnavailableError`.
 */
export interface ConversationDirectory {
  /** Each conversation's member ids, or null when there is no such conversation. */
  memberIds(conversationIds: readonly string[]): Promise<(readonly string[] | null)[]>;
}

export interface FileDirectory {
  /** Each file's uploader (owner) id, or null when there is no such file. */
  ownerIds(fileIds: readonly string[]): Promise<(string | null)[]>;
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
