import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { getOperationAST, parse, type GraphQLSchema } from 'graphql';
import { configSchema } from '../src/config';
import { analyzeOperation, type OperationShape } from '../src/limits/analysis';
import { operationLimitError } from '../src/limits/plugin';
import { countTokens } from '../src/limits/tokens';

// The public API as clients see it, from the committed supergraph.
const apiSchema: GraphQLSchema = Supergraph.build(readFileSync(path.resolve(__dirname, '../../supergraph.graphql'), 'utf8')).apiSchema().toGraphQLJSSchema();
const defaults = configSchema.parse({});

function shape(query: string, variables?: Record<string, unknown>, costCeiling = Number.MAX_SAFE_INTEGER, maxVisits = 1_000_000): OperationShape {
  const document = parse(query);
  const operation = getOperationAST(document);
  if (!operation) throw new Error('no operation');
  return analyzeOperation(apiSchema, document, operation, variables, { defaultListSize: 10, costCeiling, maxVisits });
}

function withinDefaults(s: OperationShape): boolean {
  return !s.truncated && s.depth <= defaults.GRAPHQL_MAX_DEPTH && s.aliases <= defaults.GRAPHQL_MAX_ALIASES && s.cost <= defaults.GRAPHQL_MAX_COST;
}

describe('operation limits on the Chat4All schema', () => {
  it('counts page sizes once per connection: the edges list under a paged field is the page', () => {
    // conversations 1 + edges 20 + node 20 + id 20 + members 20 + members' ids 20 × 10 = 281
    expect(shape('{ conversations(first: 20) { edges { node { id members { id } } } } }').cost).toBe(281);
  });

  it('takes page sizes from variables and from schema defaults', () => {
    const q = 'query ($n: Int) { conversation(id: "c") { messages(first: $n) { edges { node { id } } } } }';
    // conversation 1 + messages 1 + (edges + node + id) × n
    expect(shape(q, { n: 5 }).cost).toBe(2 + 3 * 5);
    // messages(first: Int = 50)
    expect(shape('{ conversation(id: "c") { messages { edges { node { id } } } } }').cost).toBe(2 + 3 * 50);
  });

  it('judges one parsed document again per request only when a page size comes from a variable', () => {
    const limits = { maxDepth: defaults.GRAPHQL_MAX_DEPTH, maxAliases: defaults.GRAPHQL_MAX_ALIASES, maxCost: 100 };
    const paged = parse('query ($n: Int) { conversation(id: "c") { messages(first: $n) { edges { node { id } } } } }');
    const pagedOperation = getOperationAST(paged)!;
    // The same document object (as Apollo's document store hands out) with other variables: judged per request.
    expect(operationLimitError(apiSchema, paged, pagedOperation, { n: 5 }, limits)).toBeUndefined();
    expect(operationLimitError(apiSchema, paged, pagedOperation, { n: 500 }, limits)?.extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(operationLimitError(apiSchema, paged, pagedOperation, { n: 5 }, limits)).toBeUndefined();
    // A literal page size: the cached shape keeps refusing (and accepting) exactly as the first walk did.
    const literal = parse('{ conversation(id: "c") { messages(first: 500) { edges { node { id } } } } }');
    const literalOperation = getOperationAST(literal)!;
    for (let i = 0; i < 2; i += 1) {
      expect(operationLimitError(apiSchema, literal, literalOperation, undefined, limits)?.extensions.code).toBe('QUERY_TOO_COMPLEX');
      expect(operationLimitError(apiSchema, literal, literalOperation, undefined, { ...limits, maxCost: 10_000 })).toBeUndefined();
    }
    expect(shape('query ($n: Int) { conversation(id: "c") { messages(first: $n) { edges { node { id } } } } }', { n: 1 }).usesVariables).toBe(true);
    expect(shape('{ conversation(id: "c") { messages(first: 5) { edges { node { id } } } } }').usesVariables).toBe(false);
  });

  it('lets the queries a chat client makes through the default limits', () => {
    const inbox = `query Inbox {
      me { id username displayName }
      conversations(first: 20) { pageInfo { hasNextPage endCursor } edges { cursor node {
        id title lastActivityAt members { id username displayName }
        messages(first: 50) { edges { node { id content status channel createdAt sender { id username } attachment { id filename size url } } } }
      } } }
    }`;
    const s = shape(inbox);
    expect(withinDefaults(s)).toBe(true);
    expect(s.depth).toBe(8);
    const send = 'mutation ($c: ID!, $t: String) { sendMessage(conversationId: $c, content: $t, clientMessageId: "x") { id status createdAt } }';
    expect(withinDefaults(shape(send))).toBe(true);
  });

  it('stops abusive queries under the default limits', () => {
    // Following Message.conversation back and forth nests without end.
    const loop = '{ message(id: "m") { conversation { messages { edges { node { conversation { messages { edges { node { conversation { id } } } } } } } } } } }';
    expect(shape(loop).depth).toBeGreaterThan(defaults.GRAPHQL_MAX_DEPTH);
    // Shallow but wide: 1000 × 1000 messages.
    const wide = '{ conversations(first: 1000) { edges { node { messages(first: 1000) { edges { node { id } } } } } } }';
    expect(shape(wide, undefined, defaults.GRAPHQL_MAX_COST).truncated).toBe(true);
    const aliases = `{ ${Array.from({ length: defaults.GRAPHQL_MAX_ALIASES + 1 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    expect(shape(aliases).aliases).toBe(defaults.GRAPHQL_MAX_ALIASES + 1);
  });

  it('bounds the work of measuring a fragment bomb', () => {
    // Each level doubles the fields: 2^30 when expanded. first: 0 keeps the cost at zero, so only the visit cap stops it.
    const levels = Array.from({ length: 30 }, (_, i) => `fragment F${i} on Conversation { a: messages(first: 0) { edges { node { conversation { ...F${i + 1} } } } } b: messages(first: 0) { edges { node { conversation { ...F${i + 1} } } } } }`);
    const query = `{ conversation(id: "c") { ...F0 } } ${levels.join(' ')} fragment F30 on Conversation { id }`;
    const measured = shape(query, undefined, 20_000, 40_000);
    expect(measured.truncated).toBe(true);
    // The work is bounded by the visit cap, not by the 2^30 expansion (counted, so the bound holds on a busy machine).
    expect(measured.visits).toBe(40_001);
  });

  it('skips introspection and __typename', () => {
    expect(shape('{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }')).toEqual({ depth: 0, aliases: 0, cost: 0, truncated: false, usesVariables: false, visits: 0 });
    expect(shape('{ me { __typename id } }').cost).toBe(2);
  });

  it('counts lexical tokens, ignoring comments, and stops counting past the limit', () => {
    expect(countTokens('{ me { id } }', 100)).toBe(6);
    expect(countTokens('# a comment\n{ me { id } }', 100)).toBe(6);
    expect(countTokens('{ me { id } }', 3)).toBe(4);
    expect(countTokens('{ "unterminated', 100)).toBeUndefined();
  });
});
