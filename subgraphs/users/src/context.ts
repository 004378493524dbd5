import type DataLoader from 'dataloader';
import type { Identity } from '@chat4all/common';
import type { Conversation, MemberOf, User } from './store/port';

/** Per-request batching: every loader is created for one request, so answers never leak between callers. */
export interface UsersLoaders {
  /** Users by id: one `findUsersByIds` per tick (a page of 50 message senders is one statement). */
  user: DataLoader<string, User | null>;
  /** Conversations by id: one `findConversationsByIds` per tick. */
  conversation: DataLoader<string, Conversation | null>;
  /**
   * A conversation as one of its members may see it (null when not a member): one `findConversationsForMembers` per
   * tick. Keyed by the pair, so answers for different users never mix.
   */
  conversationForMember: DataLoader<MemberOf, Conversation | null, string>;
  /** Member ids by conversation id: one `memberIdsOf` per tick. */
  memberIds: DataLoader<string, string[]>;
  /** Conversation ids by user id: one `conversationIdsOf` per tick. */
  conversationIds: DataLoader<string, string[]>;
}

/** What every resolver sees for one request. */
export interface UsersContext {
  /** Verified by the subgraph kit from the gateway-signed headers; null for an anonymous request. */
  identity: Identity | null;
  loaders: UsersLoaders;
}
