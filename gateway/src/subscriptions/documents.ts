import { TtlLru } from '@chat4all/common';
import { parse, validate, type DocumentNode, type GraphQLError, type GraphQLSchema } from 'graphql';

/** A subscription document, parsed once, and the schema it was last found valid against. */
interface Parsed {
  document: DocumentNode;
  validAgainst: GraphQLSchema | undefined;
}

/**
 * Text the cache may hold in all, in characters. A parsed document takes up to ~70 times its text (tokens and
 * locations), and a client may send up to GRAPHQL_MAX_BODY_BYTES of it per subscribe: bounded by count alone, 1,000
 * entries could hold gigabytes. An app's subscriptions are a few hundred characters each, so thousands fit.
 */
export const MAX_CACHED_TEXT = 1024 * 1024;

/**
 * Parsed and validated subscription documents by their text, shared by every subscriber sending the same text (clients
 * of one app send the same few operations). A subscription holds its document for as long as it runs: one AST for
 * 10,000 subscribers instead of 10,000 copies, and one parse and validation instead of one per subscriber. ASTs are
 * never changed after parsing (graphql-js treats them as immutable), so sharing one is safe. Bounded by count and by
 * text (`maxText`): least recently used out; a text larger than the whole budget is parsed and not kept.
 */
export class DocumentCache {
  private readonly parsed: TtlLru<string, Parsed>;

  constructor(maxEntries: number, maxText: number = MAX_CACHED_TEXT) {
    this.parsed = new TtlLru(maxEntries, Infinity, Date.now, { max: maxText, weigh: (query) => query.length });
  }

  /** The document for `query` (parsing throws as graphql's `parse` does: syntax errors, the token limit). */
  parse(query: string, maxTokens: number): DocumentNode {
    const found = this.parsed.get(query);
    if (found) return found.document;
    const document = parse(query, { maxTokens });
    this.parsed.set(query, { document, validAgainst: undefined });
    return document;
  }

  /** Validation errors of a document this cache parsed, against `schema`; an answer without errors is remembered. */
  validate(schema: GraphQLSchema, query: string, document: DocumentNode): readonly GraphQLError[] {
    const entry = this.parsed.get(query);
    if (entry?.document === document && entry.validAgainst === schema) return [];
    const errors = validate(schema, document);
    if (errors.length === 0 && entry?.document === document) entry.validAgainst = schema;
    return errors;
  }
}
