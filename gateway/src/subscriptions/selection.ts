import {
  Kind,
  OperationTypeNode,
  parse,
  print,
  visit,
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql';
import type { LiveEvent } from './fanout';

/** The `_entities` answer for the event's message (a list of one), one alias per `message` field of the selection. */
export type FetchedEntities = Record<string, readonly (Record<string, unknown> | null)[] | null | undefined>;

/**
 * How the primary fetch of a subscription plan (the root field on the messages subgraph) is answered from an event:
 * the fields the event carries come from it; the others are fetched with one `_entities` query for the event's
 * message, holding exactly those fields (null when the event carries every field asked for: nothing is fetched).
 */
export interface PrimaryAnswer {
  entityQuery: { query: string; variableNames: readonly string[] } | null;
  /** The primary fetch's `data` for the event, given the entity query's answer (empty when there is none). */
  build(event: LiveEvent, fetched: FetchedEntities): Record<string, unknown>;
}

type Build = (event: LiveEvent, fetched: FetchedEntities) => unknown;

/** Fields of `Message` an event carries, besides `conversation { id }`. */
const MESSAGE_FROM_EVENT: Record<string, (event: LiveEvent) => unknown> = {
  __typename: () => 'Message',
  id: (event) => event.messageId,
  // The event's status, never the store's: the store may lag behind the event.
  status: (event) => event.status,
};
const CONVERSATION_FROM_EVENT: Record<string, (event: LiveEvent) => unknown> = {
  __typename: () => 'Conversation',
  id: (event) => event.conversationId,
};
const EVENT_FIELDS: Record<string, (event: LiveEvent) => unknown> = {
  __typename: () => 'MessageEvent',
  previousStatus: (event) => event.previousStatus,
  cursor: (event) => event.cursor,
};

const responseKey = (field: FieldNode) => field.alias?.value ?? field.name.value;

/** The fields of a selection set with inline fragments and fragment spreads flattened (the plan's types are exact here). */
function fieldsOf(selections: readonly SelectionNode[], fragments: ReadonlyMap<string, FragmentDefinitionNode>): FieldNode[] {
  const fields: FieldNode[] = [];
  for (const selection of selections) {
    if (selection.kind === Kind.FIELD) fields.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) fields.push(...fieldsOf(selection.selectionSet.selections, fragments));
    else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment) throw new Error(`the plan's fetch uses an unknown fragment ${selection.name.value}`);
      fields.push(...fieldsOf(fragment.selectionSet.selections, fragments));
    }
  }
  return fields;
}

/** Groups fields by response key, keeping their order. */
function byKey(fields: readonly FieldNode[]): Map<string, FieldNode[]> {
  const groups = new Map<string, FieldNode[]>();
  for (const field of fields) {
    const key = responseKey(field);
    const group = groups.get(key);
    if (group) group.push(field);
    else groups.set(key, [field]);
  }
  return groups;
}

/** `{ __typename id }` of an object the event names, when the selection asks for nothing else of it. */
function fromEventOnly(fields: readonly FieldNode[], carried: Record<string, (event: LiveEvent) => unknown>, fragments: ReadonlyMap<string, FragmentDefinitionNode>): Build | null {
  const builds: [string, (event: LiveEvent) => unknown][] = [];
  for (const [key, group] of byKey(fields.flatMap((f) => fieldsOf(f.selectionSet?.selections ?? [], fragments)))) {
    const name = group[0]!.name.value;
    const carriedValue = carried[name];
    if (!carriedValue || group.some((f) => f.name.value !== name)) return null;
    builds.push([key, carriedValue]);
  }
  return (event) => Object.fromEntries(builds.map(([key, value]) => [key, value(event)]));
}

/**
 * Compiles the plan's primary fetch. `MessageEvent` fields and the message's `id`, `status` and `conversation { id }`
 * come from the event; every other message field (with its arguments, aliases and sub-selections as the planner wrote
 * them) goes into the `_entities` query.
 */
export function compilePrimaryAnswer(operation: string): PrimaryAnswer {
  const document = parse(operation);
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const op = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!op) throw new Error('the plan has no primary operation');

  // One `_entities` alias per `message` field of the selection (aliases may ask for different fields under one key).
  const entitySelections: SelectionNode[] = [];

  const messageBuild = (fields: readonly FieldNode[]): Build => {
    const alias = `m${entitySelections.length}`;
    const fromEvent: [string, Build][] = [];
    const missing: FieldNode[] = [];
    for (const [key, group] of byKey(fields.flatMap((f) => fieldsOf(f.selectionSet?.selections ?? [], fragments)))) {
      const name = group[0]!.name.value;
      const sameName = group.every((f) => f.name.value === name);
      const carried = MESSAGE_FROM_EVENT[name];
      const conversation = name === 'conversation' && sameName ? fromEventOnly(group, CONVERSATION_FROM_EVENT, fragments) : null;
      if (sameName && carried) fromEvent.push([key, carried]);
      else if (conversation) fromEvent.push([key, conversation]);
      else missing.push(...group);
    }
    if (missing.length === 0) return (event) => Object.fromEntries(fromEvent.map(([key, value]) => [key, value(event, {})]));
    entitySelections.push({
      kind: Kind.FIELD,
      alias: { kind: Kind.NAME, value: alias },
      name: { kind: Kind.NAME, value: '_entities' },
      arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'representations' }, value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: 'representations' } } }],
      selectionSet: {
        kind: Kind.SELECTION_SET,
        selections: [{ kind: Kind.INLINE_FRAGMENT, typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'Message' } }, selectionSet: { kind: Kind.SELECTION_SET, selections: missing } }],
      },
    });
    return (event, fetched) => {
      // No entity: the message cannot be read (the subgraph says why in its errors); the field is null.
      const entity = fetched[alias]?.[0];
      if (!entity) return null;
      const message: Record<string, unknown> = { ...entity };
      for (const [key, value] of fromEvent) message[key] = value(event, fetched);
      return message;
    };
  };

  const eventBuild = (fields: readonly FieldNode[]): Build => {
    const builds: [string, Build][] = [];
    for (const [key, group] of byKey(fields.flatMap((f) => fieldsOf(f.selectionSet?.selections ?? [], fragments)))) {
      const name = group[0]!.name.value;
      if (name === 'message') builds.push([key, messageBuild(group)]);
      else {
        const carried = EVENT_FIELDS[name];
        if (!carried) throw new Error(`MessageEvent.${name} is not known to the subscription resolver`);
        builds.push([key, carried]);
      }
    }
    return (event, fetched) => Object.fromEntries(builds.map(([key, value]) => [key, value(event, fetched)]));
  };

  const roots: [string, Build][] = [];
  for (const [key, group] of byKey(fieldsOf(op.selectionSet.selections, fragments))) {
    const name = group[0]!.name.value;
    if (name === 'messageAdded') roots.push([key, messageBuild(group)]);
    else if (name === 'messageStatusChanged' || name === 'myEvents') roots.push([key, eventBuild(group)]);
    else throw new Error(`Subscription.${name} is not known to the subscription resolver`);
  }

  return {
    entityQuery: entitySelections.length === 0 ? null : entityQuery(op, fragments, entitySelections),
    build: (event, fetched) => Object.fromEntries(roots.map(([key, value]) => [key, value(event, fetched)])),
  };
}

/** The variables and fragments some nodes use, following fragment spreads transitively. */
export function usedNames(nodes: readonly ASTNode[], fragments: ReadonlyMap<string, FragmentDefinitionNode>): { variables: Set<string>; fragments: Set<string> } {
  const variables = new Set<string>();
  const spread = new Set<string>();
  const walk = (node: ASTNode) =>
    visit(node, {
      Variable(variable) {
        variables.add(variable.name.value);
      },
      FragmentSpread(node) {
        const fragment = fragments.get(node.name.value);
        if (!fragment || spread.has(fragment.name.value)) return;
        spread.add(fragment.name.value);
        walk(fragment);
      },
    });
  for (const node of nodes) walk(node);
  return { variables, fragments: spread };
}

/** `query($representations: [_Any!]!, <the variables the fields use>) { m0: _entities(…) { … on Message { … } } }`. */
function entityQuery(op: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, selections: SelectionNode[]): { query: string; variableNames: string[] } {
  const used = usedNames(selections, fragments);
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: OperationTypeNode.QUERY,
        name: { kind: Kind.NAME, value: 'SubscriptionEventMessage' },
        variableDefinitions: [
          {
            kind: Kind.VARIABLE_DEFINITION,
            variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: 'representations' } },
            type: {
              kind: Kind.NON_NULL_TYPE,
              type: { kind: Kind.LIST_TYPE, type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: '_Any' } } } },
            },
          },
          ...(op.variableDefinitions ?? []).filter((d) => used.variables.has(d.variable.name.value)),
        ],
        selectionSet: { kind: Kind.SELECTION_SET, selections },
      },
      // The planner's own fragments, when the missing fields spread any (transitively).
      ...[...fragments.values()].filter((f) => used.fragments.has(f.name.value)),
    ],
  };
  // `$representations` is the fetch's own; the others come from the subscriber's variables.
  return { query: print(document), variableNames: [...used.variables].filter((name) => name !== 'representations') };
}
