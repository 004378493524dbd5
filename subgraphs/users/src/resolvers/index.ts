import type { Resolvers } from '../generated/resolvers-types';
import { conversationResolvers } from './Conversation';
import { DateTimeScalar } from '@chat4all/common';
import type { ResolverDeps } from './deps';
import { mutationResolvers } from './Mutation';
import { queryResolvers } from './Query';
import { userResolvers } from './User';

export type { ResolverDeps } from './deps';

export function createResolvers(deps: ResolverDeps): Resolvers {
  return {
    DateTime: DateTimeScalar,
    Query: queryResolvers(deps),
    Mutation: mutationResolvers(deps),
    User: userResolvers(),
    Conversation: conversationResolvers(),
  };
}
