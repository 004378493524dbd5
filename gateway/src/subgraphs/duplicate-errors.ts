import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';

/** An error's identity as the client sees it: the same words, code and path are the same error. */
const sameError = (error: GraphQLFormattedError) => JSON.stringify([error.message, error.extensions?.code ?? null, error.path ?? null]);

/** The errors with each repeat of an earlier one left out, in order; the same array when there is none. */
export function withoutRepeats(errors: readonly GraphQLFormattedError[]): readonly GraphQLFormattedError[] {
  if (errors.length < 2) return errors;
  const seen = new Set<string>();
  const kept = errors.filter((error) => {
    const key = sameError(error);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return kept.length === errors.length ? errors : kept;
}

/**
 * Apollo Gateway passes on every subgraph's errors. Where the planner fetches one root field from two subgraphs at
 * once (`Query.conversation` is shared: the users subgraph answers its title and members while the messages subgraph
 * answers its messages), a refusal of that field comes from both, and the client would read the same NOT_FOUND twice.
 * Only repeats (same message, code and path) are left out.
 */
export function duplicateErrorsPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          if (result.errors) result.errors = withoutRepeats(result.errors);
        },
      };
    },
  };
}
