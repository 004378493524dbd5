import { forbidden } from '@chat4all/common';
import type { UserResolvers } from '../generated/resolvers-types';
import { requireIdentity } from './access';

export function userResolvers(): UserResolvers {
  return {
    /**
     * Every User the gateway needs for one response (e.g. the senders of a page of messages) arrives in one
     * `_entities` call; the per-request loader turns them into one repository lookup. Null for an unknown id.
     */
    __resolveReference: ({ id }, { identity, loaders }) => {
      requireIdentity(identity);
      return loaders.user.load(id);
    },

    /**
     * @inaccessible (the gateway's subscriptions read it with a service identity). Who is in which conversation is
     * not for other users, so a user identity may read only its own list.
     */
    conversationIds: ({ id }, _args, { identity, loaders }) => {
      const caller = requireIdentity(identity);
      if (caller.kind === 'user' && caller.userId.toLowerCase() !== id.toLowerCase()) throw forbidden("another user's conversations are not yours to list");
      return loaders.conversationIds.load(id);
    },
  };
}
