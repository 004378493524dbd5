import { GraphQLError, Lexer, Source, TokenKind } from 'graphql';

/**
 * Counts a document's tokens up to `max + 1`, before it is parsed: the cheap guard against
 * documents built to be expensive to parse. Returns undefined when the text does not even lex
 * (the parser reports that error properly).
 */
export function countTokens(query: string, max: number): number | undefined {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      count += 1;
      if (count > max) return count;
    }
  } catch (error) {
    if (error instanceof GraphQLError) return undefined;
    throw error;
  }
  return count;
}
