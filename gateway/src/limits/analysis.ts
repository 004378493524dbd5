import {
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromAST,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

export interface OperationShape {
  /** Deepest field nesting (a root field is depth 1). Introspection is not counted. */
  depth: number;
  /** Fields with an alias, counted at every place fragments expand to. */
  aliases: number;
  /** One per field, times the page or list sizes above it. */
  cost: number;
  /** The walk stopped early because the operation was far over a limit (cost is then a lower bound). */
  truncated: boolean;
  /** A page size came from a variable: the shape holds for these variables only (otherwise for every request of the document). */
  usesVariables: boolean;
  /** Field nodes the walk visited: the work measuring took, never more than `maxVisits` + 1. */
  visits: number;
}

export interface AnalysisOptions {
  /** Multiplier for a list field without a page-size argument. */
  defaultListSize: number;
  /** Stop once the cost passes this (the answer is "too complex" either way). */
  costCeiling: number;
  /** Stop after visiting this many field nodes: fragments can expand exponentially. */
  maxVisits: number;
}

const PAGE_SIZE_ARGUMENTS = ['first', 'last', 'limit'];

/** Whether a value literal holds no variable (its value is the same for every request). */
function isConstant(value: ValueNode): boolean {
  if (value.kind === Kind.VARIABLE) return false;
  if (value.kind === Kind.LIST) return value.values.every(isConstant);
  if (value.kind === Kind.OBJECT) return value.fields.every((field) => isConstant(field.value));
  return true;
}

/**
 * Measures an operation statically, before any subgraph is called. Cost model: every field costs
 * the number of times it can be resolved: the product of the page sizes (`first`, `last`, `limit`,
 * as given or the schema default) and of list sizes (a list without a page-size argument counts as
 * `defaultListSize`, except the `edges` list directly under a paged connection, already counted) above it.
 */
export function analyzeOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  options: AnalysisOptions,
): OperationShape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const shape: OperationShape = { depth: 0, aliases: 0, cost: 0, truncated: false, usesVariables: false, visits: 0 };

  const pageSize = (field: GraphQLField<unknown, unknown> | undefined, node: { arguments?: readonly { name: { value: string }; value: ValueNode }[] }): number | undefined => {
    if (!field) return undefined;
    for (const name of PAGE_SIZE_ARGUMENTS) {
      const definition = field.args.find((a) => a.name === name);
      if (!definition) continue;
      const given = node.arguments?.find((a) => a.name.value === name);
      if (given && !isConstant(given.value)) shape.usesVariables = true;
      const value = given ? valueFromAST(given.value, definition.type, variables) : definition.defaultValue;
      if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, value);
      return options.defaultListSize;
    }
    return undefined;
  };

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined, depth: number, multiplier: number, underPage: boolean, path: string[]): void => {
    for (const selection of selectionSet.selections) {
      if (shape.truncated) return;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        // Introspection has its own switch (GRAPHQL_INTROSPECTION); __typename is free.
        if (name.startsWith('__')) continue;
        if (++shape.visits > options.maxVisits) {
          shape.truncated = true;
          return;
        }
        if (selection.alias) shape.aliases += 1;
        shape.depth = Math.max(shape.depth, depth);
        shape.cost += multiplier;
        if (shape.cost > options.costCeiling) {
          shape.truncated = true;
          return;
        }
        if (!selection.selectionSet) continue;
        const field = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
        const page = pageSize(field, selection);
        const isList = field ? isListType(getNullableType(field.type)) : false;
        const factor = page ?? (isList && !underPage ? options.defaultListSize : 1);
        // A paged field that returns an object (a connection) has its page in the first list below it (`edges`).
        walk(selection.selectionSet, field ? getNamedType(field.type) : undefined, depth + 1, multiplier * factor, page !== undefined && !isList, path);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        walk(selection.selectionSet, type ?? undefined, depth, multiplier, underPage, path);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // Validation rejects cycles; the guard keeps this function safe on its own.
        if (!fragment || path.includes(name)) continue;
        walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined, depth, multiplier, underPage, [...path, name]);
      }
    }
  };

  const root = schema.getRootType(operation.operation) ?? undefined;
  walk(operation.selectionSet, root, 1, 1, false, []);
  return shape;
}
