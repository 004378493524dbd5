import { unauthenticated } from '@chat4all/common';
import type { MessageResolvers } from '../generated/resolvers-types';
import { askPeer } from '../peers/ask';
import type { ResolverDeps } from './deps';
import { conversationRef, fileRef, userRef } from './refs';

export function messageResolvers({ membership, log }: ResolverDeps): MessageResolvers {
  return {
    /**
     * Entity lookups from the gateway, batched: every reference in one request goes to the store as one `getMany`
     * (DataLoader). A user sees only messages of conversations they are in (others resolve to null, like missing ids);
     * a signed service identity may resolve any message.
     */
    __resolveReference: async ({ id }, { identity, loaders }) => {
      if (!identity) throw unauthenticated();
      const message = await loaders.message.load(id);
      if (!message || identity.kind === 'service') return message;
      return (await askPeer(log, () => membership.isMember(message.conversationId, identity.userId))) ? message : null;
    },
    // Key stubs: the gateway fetches users, files and conversations from their subgraphs in one batch per response.
    sender: (message) => userRef(message.senderId),
    attachment: (message) => (message.fileId === undefined ? null : fileRef(message.fileId)),
    conversation: (message) => conversationRef(message.conversationId),
  };
}
