import { badUserInput, canonicalUuid, conversationNotFound, notFound, requireUser } from '@chat4all/common';
import type { QueryResolvers } from '../generated/resolvers-types';
import { askPeer } from '../peers/ask';
import { isMessageId } from '../store/ids';
import type { ResolverDeps } from './deps';
import { conversationRef } from './refs';

export function queryResolvers({ membership, log }: ResolverDeps): QueryResolvers {
  return {
    /**
     * Members only. A message that does not exist and one in a conversation the caller is not in both answer
     * NOT_FOUND with the same message, so a non-member cannot learn whether an id exists (FORBIDDEN would tell).
     */
    message: async (_parent, { id }, { identity, loaders }) => {
      const user = requireUser(identity);
      if (!isMessageId(id)) throw badUserInput('id is not a message id', 'id');
      const message = await loaders.message.load(id);
      if (!message || !(await askPeer(log, () => membership.isMember(message.conversationId, user.userId)))) {
        throw notFound('message not found');
      }
      return message;
    },

    /**
     * `Query.conversation` is shared with the users subgraph, which owns conversations: the planner sends it here
     * when every field asked of the conversation is one this subgraph has (its `messages`, the shared `title`), saving
     * the users fetch. The same rule and answer as there (members only; NOT_FOUND for a non-member and a missing id
     * alike), from the membership cache (answers at most MEMBERSHIP_CACHE_TTL_MS old, as for `messages` itself).
     */
    conversation: async (_parent, { id }, { identity }) => {
      const user = requireUser(identity);
      // Ids are compared as text here (cache, store), and every conversation's is a UUID in lower case.
      const conversationId = canonicalUuid(id);
      if (conversationId === null) throw conversationNotFound();
      const seen = await askPeer(log, () => membership.conversationFor(conversationId, user.userId));
      if (!seen) throw conversationNotFound();
      return { ...conversationRef(conversationId), title: seen.title };
    },
  };
}
