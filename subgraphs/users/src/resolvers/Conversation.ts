import type { ConversationResolvers } from '../generated/resolvers-types';
import type { User } from '../store/port';
import { conversationForMember, requireIdentity } from './access';

export function conversationResolvers(): ConversationResolvers {
  return {
    /**
     * A service identity (e.g. the messages subgraph checking membership through `memberIds`) may read any
     * conversation; a user only the ones they belong to. Missing and not-yours both resolve to null, so the answer
     * reveals nothing about conversations the caller is not in.
     */
    __resolveReference: async ({ id }, { identity, loaders }) => {
      const caller = requireIdentity(identity);
      if (caller.kind === 'service') return loaders.conversation.load(id);
      return conversationForMember(loaders, id, caller.userId);
    },

    /** Batched: the members of every conversation in a response cost one member lookup and one user lookup. */
    members: async ({ id }, _args, { loaders }) => {
      const users = await loaders.user.loadMany(await loaders.memberIds.load(id));
      return users.filter((user): user is User => {
        if (user instanceof Error) throw user;
        return user !== null;
      });
    },

    memberIds: ({ id }, _args, { loaders }) => loaders.memberIds.load(id),
  };
}
