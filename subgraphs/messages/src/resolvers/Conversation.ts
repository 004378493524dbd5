import { badUserInput, forbidden, requireUser } from '@chat4all/common';
import type { ConversationResolvers } from '../generated/resolvers-types';
import { askPeer } from '../peers/ask';
import { InvalidCursorError, InvalidPageSizeError, MAX_PAGE_SIZE, decodeCursor, encodeCursor, pageSize } from '../store/pagination';
import type { ResolverDeps } from './deps';
import { conversationRef } from './refs';

export function conversationResolvers({ store, membership, log }: ResolverDeps): ConversationResolvers {
  return {
    // The users subgraph owns conversations; this subgraph adds `messages` and shares `title`, so any key resolves to
    // its stub, each field checking the caller.
    __resolveReference: ({ id }) => conversationRef(id),

    /**
     * From the membership lookup (the users subgraph answers title and members together; a title never changes), so
     * no users fetch is needed for it. Null for a caller who is not a member, as the users subgraph answers.
     */
    title: async (conversation, _args, { identity }) => {
      if (conversation.title !== undefined) return conversation.title;
      const user = requireUser(identity);
      return (await askPeer(log, () => membership.conversationFor(conversation.id, user.userId)))?.title ?? null;
    },

    /** Members only (FORBIDDEN otherwise); newest first; `after` is a previous page's opaque endCursor. */
    messages: async (conversation, { first, after }, { identity, loaders }) => {
      const user = requireUser(identity);
      // Arguments first: checking them costs nothing and reveals nothing about the conversation.
      let size: number;
      try {
        size = pageSize(first ?? undefined);
        if (after != null) decodeCursor(after);
      } catch (error) {
        if (error instanceof InvalidPageSizeError) throw badUserInput(`first must be from 1 to ${MAX_PAGE_SIZE}`, 'first');
        if (error instanceof InvalidCursorError) throw badUserInput('after is not a cursor this API returned', 'after');
        throw error;
      }
      if (!(await askPeer(log, () => membership.isMember(conversation.id, user.userId)))) {
        throw forbidden('you are not a member of this conversation');
      }
      const page = await store.listByConversation(conversation.id, { first: size, after: after ?? null });
      for (const message of page.items) loaders.message.prime(message.id, message);
      return {
        edges: page.items.map((node) => ({ cursor: encodeCursor(node.id), node })),
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      };
    },
  };
}
