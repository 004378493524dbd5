import { entityField, fetchEntities, type PeerOptions } from './entities';
import type { ConversationDirectory } from './port';

const isIdList = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/**
 * Conversation members from the users subgraph, through `_entities` with this service's signed identity.
 * `memberIds` is @inaccessible in the supergraph (clients cannot ask for it) but a subgraph field like any other.
 */
export class UsersSubgraphDirectory implements ConversationDirectory {
  constructor(private readonly peer: PeerOptions) {}

  memberIds(conversationIds: readonly string[]): Promise<(readonly string[] | null)[]> {
    return fetchEntities(this.peer, 'Conversation', conversationIds, 'memberIds', (entity) =>
      entityField(this.peer.name, entity, 'memberIds', isIdList),
    );
  }
}
