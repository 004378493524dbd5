import { entityField, fetchEntities, type PeerOptions } from './entities';
import type { ConversationDirectory, ConversationFacts, UserConversationDirectory } from './port';

const isTitle = (value: unknown): value is string | null => value === null || typeof value === 'string';
const isIdList = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/**
 * Conversation members and titles (and users' conversations) from the users subgraph, through `_entities` with this
 * service's signed identity. `memberIds` and `conversationIds` are @inaccessible in the supergraph (clients cannot ask
 * for them) but subgraph fields like any other.
 */
export class UsersSubgraphDirectory implements ConversationDirectory, UserConversationDirectory {
  constructor(private readonly peer: PeerOptions) {}

  conversations(conversationIds: readonly string[]): Promise<(ConversationFacts | null)[]> {
    return fetchEntities(this.peer, 'Conversation', conversationIds, 'memberIds title', (entity) => ({
      memberIds: entityField(this.peer.name, entity, 'memberIds', isIdList),
      title: entityField(this.peer.name, entity, 'title', isTitle),
    }));
  }

  conversationIdsOf(userIds: readonly string[]): Promise<(readonly string[] | null)[]> {
    return fetchEntities(this.peer, 'User', userIds, 'conversationIds', (entity) =>
      entityField(this.peer.name, entity, 'conversationIds', isIdList),
    );
  }
}
