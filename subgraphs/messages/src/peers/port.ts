/**
 * What this subgraph asks the other subgraphs. Both answer for many ids at once (one `_entities` call), in request
 * order, with null where the entity does not exist. Failures to reach a peer reject with `PeerUnavailableError`.
 * The membership client lives in `@chat4all/common` (the gateway uses it too); re-exported here for this subgraph.
 */
export { PeerUnavailableError, type ConversationDirectory, type ConversationFacts } from '@chat4all/common';

export interface FileDirectory {
  /** Each file's uploader (owner) id, or null when there is no such file. */
  ownerIds(fileIds: readonly string[]): Promise<(string | null)[]>;
}
