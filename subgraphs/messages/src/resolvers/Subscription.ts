import { ErrorCode, graphqlError } from '@chat4all/common';
import type { SubscriptionResolvers } from '../generated/resolvers-types';

/**
 * The gateway serves subscriptions (graphql-ws on its /graphql, fed by Kafka); this subgraph only declares them so
 * they compose. Anyone who sends a subscription here directly gets a clear refusal instead of a silent stream.
 */
const servedByGateway = () => {
  throw graphqlError(ErrorCode.BAD_REQUEST, 'subscriptions are served by the gateway over graphql-ws, not by the messages subgraph');
};

export function subscriptionResolvers(): SubscriptionResolvers {
  return {
    messageAdded: { subscribe: servedByGateway },
    messageStatusChanged: { subscribe: servedByGateway },
    myEvents: { subscribe: servedByGateway },
  };
}
