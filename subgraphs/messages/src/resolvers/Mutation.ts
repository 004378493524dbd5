import { requireUser } from '@chat4all/common';
import type { MutationResolvers } from '../generated/resolvers-types';
import type { ResolverDeps } from './deps';

export function mutationResolvers({ sender }: ResolverDeps): MutationResolvers {
  return {
    sendMessage: (_parent, args, { identity }) => sender.send(requireUser(identity).userId, args),
  };
}
