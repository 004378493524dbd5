import {
  Kind,
  OperationTypeNode,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLResolveInfo,
  type SelectionNode,
  type VariableDefinitionNode,
} from 'graphql';

export const EVENT_MESSAGE_ID_VARIABLE = 'chat4allEventMessageId';

export interface MessageQuery {
  query: string;
  variables: Record<string, unknown>;
}

/**
 * The subscriber's selection on an event's `Message`, as an ordinary query `message(id:)` the gateway's own executor
 * runs: the field's sub-selections (aliases kept), the fragments they use (transitively) and the variables they use.
 */
export function messageQuery(info: GraphQLResolveInfo, messageId: string): MessageQuery {
  const selections: SelectionNode[] = info.fieldNodes.flatMap((node: FieldNode) => node.selectionSet?.selections ?? []);
  const fragments = new Map<string, FragmentDefinitionNode>();
  const variables = new Set<string>();
  const walk = (node: Parameters<typeof visit>[0]) =>
    visit(node, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        const fragment = info.fragments[name];
        if (!fragment || fragments.has(name)) return;
        fragments.set(name, fragment);
        walk(fragment);
      },
      Variable(variable) {
        variables.add(variable.name.value);
      },
    });
  for (const selection of selections) walk(selection);

  const definitions: VariableDefinitionNode[] = (info.operation.variableDefinitions ?? []).filter((d) => variables.has(d.variable.name.value));
  const idDefinition: VariableDefinitionNode = {
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: EVENT_MESSAGE_ID_VARIABLE } },
    type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
  };
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: OperationTypeNode.QUERY,
        name: { kind: Kind.NAME, value: 'SubscriptionEventMessage' },
        variableDefinitions: [...definitions, idDefinition],
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: [
            {
              kind: Kind.FIELD,
              name: { kind: Kind.NAME, value: 'message' },
              arguments: [
                {
                  kind: Kind.ARGUMENT,
                  name: { kind: Kind.NAME, value: 'id' },
                  value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: EVENT_MESSAGE_ID_VARIABLE } },
                },
              ],
              selectionSet: { kind: Kind.SELECTION_SET, selections },
            },
          ],
        },
      },
      ...fragments.values(),
    ],
  };
  const values: Record<string, unknown> = {};
  for (const name of variables) if (name in info.variableValues) values[name] = info.variableValues[name];
  values[EVENT_MESSAGE_ID_VARIABLE] = messageId;
  return { query: print(document), variables: values };
}
