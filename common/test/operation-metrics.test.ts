import { Registry } from 'prom-client';
import { createLogger, createSubgraphHandler, type SubgraphHandler } from '../src';

const typeDefs = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type User @key(fields: "id") { id: ID!, name: String! }
  type Query { me: User, echo(text: String!): String! }
  type Mutation { rename(name: String!): User }
`;

const me = { id: 'u1', name: 'Ana' };

describe('chat4all_graphql_operations_total', () => {
  let metrics: Registry;
  let subgraph: SubgraphHandler<object>;

  beforeEach(() => {
    metrics = new Registry();
    subgraph = createSubgraphHandler({
      name: 'test',
      typeDefs,
      resolvers: {
        Query: { me: () => me, echo: (_: unknown, { text }: { text: string }) => text },
        Mutation: { rename: (_: unknown, { name }: { name: string }) => ({ ...me, name }) },
        User: { __resolveReference: (ref: { id: string }) => ({ ...me, id: ref.id }) },
      },
      identityKey: 'k'.repeat(32),
      log: createLogger('test', 'silent'),
      metrics,
    });
  });
  afterEach(() => subgraph.stop());

  const run = (query: string, variables?: Record<string, unknown>) =>
    subgraph.server.executeOperation({ query, variables }, { contextValue: { identity: null } });

  async function counts(): Promise<Record<string, number>> {
    const metric = await metrics.getSingleMetric('chat4all_graphql_operations_total')!.get();
    return Object.fromEntries(metric.values.map((v) => [`${v.labels.type} ${v.labels.fields}`, v.value]));
  }

  it('counts each resolved operation by type and sorted root fields, through aliases and fragments', async () => {
    await run('{ echo(text: "a") me { id } }');
    await run('query Q { ...F again: echo(text: "b") } fragment F on Query { me { name } ... on Query { echo(text: "c") } }');
    await run('mutation { rename(name: "Bo") { name } }');
    expect(await counts()).toEqual({ 'query echo,me': 2, 'mutation rename': 1 });
  });

  it('names the entity types an _entities fetch asks for, and only types the schema has', async () => {
    const query = 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { name } } }';
    await run(query, { representations: [{ __typename: 'User', id: 'u1' }, { __typename: 'User', id: 'u2' }] });
    await run(query, { representations: [{ __typename: 'User', id: 'u1' }, { __typename: 'Nope', id: 'x' }] });
    expect(await counts()).toEqual({ 'query _entities(User)': 1, 'query _entities(User|unknown)': 1 });
  });

  it('does not count a request refused before an operation was resolved', async () => {
    await run('{ nope }');
    await run('{ echo(');
    expect(await counts()).toEqual({});
  });
});
