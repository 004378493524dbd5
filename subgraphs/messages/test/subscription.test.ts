import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, subscribe, type GraphQLFieldResolver } from 'graphql';
import { subscriptionResolvers } from '../src/resolvers/Subscription';

const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'src', 'schema.graphql'), 'utf8'));

describe('messages subgraph subscriptions', () => {
  const resolvers = subscriptionResolvers();
  const schema = buildSubgraphSchema({ typeDefs, resolvers: { Subscription: resolvers as unknown as Record<string, { subscribe: GraphQLFieldResolver<unknown, unknown> }> } });

  it.each([
    ['messageAdded', 'subscription { messageAdded(conversationId: "c") { id } }'],
    ['messageStatusChanged', 'subscription { messageStatusChanged(conversationId: "c") { cursor } }'],
    ['myEvents', 'subscription { myEvents { cursor } }'],
  ])('%s sent to the subgraph directly is refused, pointing at the gateway', async (_field, query) => {
    const result = await subscribe({ schema, document: parse(query) });
    expect(Symbol.asyncIterator in result).toBe(false);
    const errors = 'errors' in result ? result.errors : undefined;
    expect(errors?.map((e) => [e.extensions.code, e.message])).toEqual([
      ['BAD_REQUEST', 'subscriptions are served by the gateway over graphql-ws, not by the messages subgraph'],
    ]);
  });
});
