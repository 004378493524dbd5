import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { Registry } from 'prom-client';
import { Kind, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { sharedCounter } from '../service/metrics';

const METRIC = 'chat4all_graphql_operations_total';

/** The root field names of a selection set, through inline fragments and named fragments, deduplicated. */
function rootFields(selectionSet: SelectionSetNode, document: DocumentNode, into: Set<string>): Set<string> {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) into.add(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) rootFields(selection.selectionSet, document, into);
    else {
      const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) rootFields(fragment.selectionSet, document, into);
    }
  }
  return into;
}

/** The entity types a gateway's `_entities` fetch asks for, as the schema names them (anything else: "unknown"). */
function entityTypes(variables: Record<string, unknown> | undefined, schema: GraphQLSchema): string {
  const representations = variables?.representations;
  if (!Array.isArray(representations)) return 'unknown';
  const names = new Set<string>();
  for (const representation of representations as unknown[]) {
    const name = (representation as { __typename?: unknown } | null)?.__typename;
    // Only names the schema has, so a caller cannot grow the label's values.
    names.add(typeof name === 'string' && schema.getType(name) ? name : 'unknown');
  }
  return [...names].sort().join('|');
}

/**
 * Counts every operation the server resolved on `chat4all_graphql_operations_total{type, fields}`: `fields` is its
 * sorted root fields, `_entities` followed by the entity types asked (`_entities(User)`), so /metrics tells which
 * fetches a gateway or a peer sends and how often (e.g. per message sent). Both labels are bounded by the schema.
 * Requests refused before an operation was resolved (unparsable, invalid, unauthenticated) are not counted here.
 */
export function operationMetricsPlugin<C extends object>(metrics: Registry): ApolloServerPlugin<C> {
  const counter = sharedCounter(
    metrics,
    METRIC,
    'GraphQL operations this service resolved, by type and root fields (_entities with the entity types asked)',
    ['type', 'fields'],
  );
  // Apollo Server reuses one parsed document per distinct query text, so its root fields are worked out once.
  const fieldsOf = new WeakMap<OperationDefinitionNode, string[]>();
  // The listener keeps no per-request state, so every request shares this one rather than getting its own.
  const listener: GraphQLRequestListener<C> = {
    async didResolveOperation({ operation, document, request, schema }) {
      if (operation === undefined) return; // Apollo refuses such a request itself (no operation by that name)
      let fields = fieldsOf.get(operation);
      if (fields === undefined) {
        fields = [...rootFields(operation.selectionSet, document, new Set())].sort();
        fieldsOf.set(operation, fields);
      }
      const label = fields.map((f) => (f === '_entities' ? `_entities(${entityTypes(request.variables, schema)})` : f)).join(',');
      counter.inc({ type: operation.operation, fields: label });
    },
  };
  return { requestDidStart: async () => listener };
}
