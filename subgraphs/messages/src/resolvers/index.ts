import type { Resolvers } from '../generated/resolvers-types';
import { conversationResolvers } from './Conversation';
import { DateTimeScalar } from '@chat4all/common';
import type { ResolverDeps } from './deps';
import { messageResolvers } from './Message';
import { mutationResolvers } from './Mutation';
import { queryResolvers } from './Query';
import { subscriptionResolvers } from './Subscription';

export type { ResolverDeps } from './deps';

/** The subgraph's resolvers, typed by codegen from schema.graphql (`npm run codegen`). */
export function createResolvers(deps: ResolverDeps): Resolvers {
  return {
    DateTime: DateTimeScalar,
    Query: queryResolvers(deps),
    Mutation: mutationResolvers(deps),
    Subscription: subscriptionResolvers(),
    Message: messageResolvers(deps),
    Conversation: conversationResolvers(deps),
  };
}
