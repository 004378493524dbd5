import DataLoader from 'dataloader';
import type { UsersLoaders } from './context';
import type { UserLookup } from './store/cached-users';
import { memberOfKey, type UserRepository } from './store/port';

/**
 * Fresh loaders for one request. The repository's batch lookups already answer aligned with the keys; users come from
 * `users` (the repository, or a cache in front of it).
 */
export function createLoaders(repository: UserRepository, users: UserLookup = repository): UsersLoaders {
  // Far above any page the API serves; it only keeps one statement's parameter list bounded (PostgreSQL allows 65535).
  const options = { maxBatchSize: 1000 };
  return {
    user: new DataLoader((ids) => users.findUsersByIds(ids), options),
    conversation: new DataLoader((ids) => repository.findConversationsByIds(ids), options),
    conversationForMember: new DataLoader((pairs) => repository.findConversationsForMembers(pairs), { ...options, cacheKeyFn: memberOfKey }),
    memberIds: new DataLoader((ids) => repository.memberIdsOf(ids), options),
    conversationIds: new DataLoader((ids) => repository.conversationIdsOf(ids), options),
  };
}
