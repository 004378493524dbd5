import { badUserInput, conversationNotFound, requireUser } from '@chat4all/common';
import type { QueryResolvers } from '../generated/resolvers-types';
import { encodeConversationCursor } from '../store/cursor';
import { InvalidCursorError, MAX_PAGE_SIZE } from '../store/port';
import { conversationForMember, requireIdentity } from './access';
import type { ResolverDeps } from './deps';
import { checkPageSize } from './input';

export function queryResolvers({ repository }: ResolverDeps): QueryResolvers {
  return {
    /** Null for anonymous callers and services, and for a user whose account no longer exists. */
    me: (_parent, _args, { identity, loaders }) => (identity?.kind === 'user' ? loaders.user.load(identity.userId) : null),

    /** Any authenticated caller may look a user up (users are what conversations are made of). */
    user: (_parent, { id }, { identity, loaders }) => {
      requireIdentity(identity);
      return loaders.user.load(id);
    },

    /**
     * Members only. A conversation that does not exist and one the caller is not in both answer NOT_FOUND with the
     * same message, so a non-member cannot probe which conversation ids exist (FORBIDDEN would confirm the id).
     */
    conversation: async (_parent, { id }, { identity, loaders }) => {
      const user = requireUser(identity);
      const conversation = await conversationForMember(loaders, id, user.userId);
      if (!conversation) throw conversationNotFound();
      return conversation;
    },

    /** The caller's conversations, newest activity first; `after` is a previous page's opaque endCursor. */
    conversations: async (_parent, { first, after }, { identity, loaders }) => {
      const user = requireUser(identity);
      const size = checkPageSize(first, MAX_PAGE_SIZE);
      let page;
      try {
        page = await repository.listConversationsForUser(user.userId, { first: size, after: after ?? null });
      } catch (error) {
        if (error instanceof InvalidCursorError) throw badUserInput('after is not a cursor this API returned', 'after');
        throw error;
      }
      for (const conversation of page.items) loaders.conversation.prime(conversation.id, conversation);
      return {
        edges: page.items.map((node) => ({ cursor: encodeConversationCursor(node), node })),
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      };
    },
  };
}
