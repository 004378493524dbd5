import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { analyzeOperation, type OperationShape } from './analysis';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
}

/** Stable codes clients can switch on. */
export const LimitCode = {
  QUERY_TOO_DEEP: 'QUERY_TOO_DEEP',
  TOO_MANY_ALIASES: 'TOO_MANY_ALIASES',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  TOO_MANY_TOKENS: 'TOO_MANY_TOKENS',
  BATCH_TOO_LARGE: 'BATCH_TOO_LARGE',
} as const;

export function limitError(code: keyof typeof LimitCode, message: string, status = 400): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status } } });
}

// Shapes that hold for every request of an operation (no page size from a variable), per schema and limits.
// Apollo hands the same parsed document to every request with the same text (its document store), so this
// skips the walk on the hot path; entries go when the schema, the limits or the document are dropped.
const shapes = new WeakMap<GraphQLSchema, WeakMap<OperationLimits, WeakMap<OperationDefinitionNode, OperationShape>>>();

function cachedShape(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  limits: OperationLimits,
): OperationShape {
  let bySchema = shapes.get(schema);
  if (!bySchema) shapes.set(schema, (bySchema = new WeakMap()));
  let byOperation = bySchema.get(limits);
  if (!byOperation) bySchema.set(limits, (byOperation = new WeakMap()));
  const known = byOperation.get(operation);
  if (known) return known;
  const shape = analyzeOperation(schema, document, operation, variables, {
    defaultListSize: 10,
    costCeiling: limits.maxCost,
    maxVisits: Math.max(10_000, limits.maxCost * 2),
  });
  if (!shape.usesVariables) byOperation.set(operation, shape);
  return shape;
}

/** The limit error an operation deserves, or undefined when it is within every limit (HTTP and graphql-ws use this). */
export function operationLimitError(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  limits: OperationLimits,
): GraphQLError | undefined {
  const shape = cachedShape(schema, document, operation, variables, limits);
  if (shape.depth > limits.maxDepth) {
    return limitError('QUERY_TOO_DEEP', `the operation is ${shape.depth} levels deep; the limit is ${limits.maxDepth}`);
  }
  if (shape.aliases > limits.maxAliases) {
    return limitError('TOO_MANY_ALIASES', `the operation uses ${shape.aliases} aliases; the limit is ${limits.maxAliases}`);
  }
  if (shape.truncated || shape.cost > limits.maxCost) {
    return limitError('QUERY_TOO_COMPLEX', `the operation's cost is over the limit of ${limits.maxCost} (one per field, times page and list sizes)`);
  }
  return undefined;
}

/**
 * Refuses operations over the depth, alias or cost limits after validation and before the query
 * planner runs (so no subgraph sees them). A GraphQLError thrown from didResolveOperation becomes
 * the response with its own code, unlike validation-rule errors, which Apollo Server relabels.
 */
export function operationLimitsPlugin(limits: OperationLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          // No operation (e.g. an unknown operationName): Apollo answers that itself.
          if (!operation) return;
          const error = operationLimitError(schema, document, operation, request.variables, limits);
          if (error) throw error;
        },
      };
    },
  };
}
