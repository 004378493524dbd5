import { buildOperationContext } from '@apollo/gateway';
import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type QueryPlan } from '@apollo/query-planner';
import { TtlLru } from '@chat4all/common';
import { getOperationAST, Kind, print, type ASTNode, type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema } from 'graphql';
import { compilePrimaryAnswer, usedNames, type PrimaryAnswer } from './selection';

type OperationContext = ReturnType<typeof buildOperationContext>;

/** A subscription operation planned across the subgraphs, ready to run for each event. */
export interface EventPlan {
  /** The normalised document and operation name: one plan per key. */
  key: string;
  /** `Sequence[primary, rest]`: what `executeQueryPlan` runs for one event (the primary answered from the event). */
  queryPlan: QueryPlan;
  primary: FetchNode;
  answer: PrimaryAnswer;
  operationContext: OperationContext;
  /** The schemas it was planned on (a subscription keeps its plan across a supergraph update). */
  schemas: { supergraph: GraphQLSchema; api: Schema };
  /**
   * The variables an event's result depends on: those used anywhere but in the root field's arguments (which only
   * choose the event stream, e.g. `conversationId`, `after`). Subscribers that differ only there share results.
   */
  variableNames: readonly string[];
}

/** Distinct subscription operations whose plans are kept; the least recently used is planned again when needed. */
export const DEFAULT_MAX_PLANS = 1_000;

/**
 * Plans subscription operations with `@apollo/query-planner` on the gateway's supergraph, as the gateway plans
 * queries: the plan's `SubscriptionNode` has a `primary` fetch (the root field, owned by the messages subgraph) and a
 * `rest` (entity fetches for fields owned elsewhere). Plans are cached per normalised document and operation name,
 * so a subscription that many clients hold is planned once. One planner per supergraph: a new supergraph gets a new
 * planner (and empty cache).
 */
export class SubscriptionPlanner {
  private readonly supergraphSchema: GraphQLSchema;
  private readonly apiSchema: Schema;
  /** The API schema as graphql-js, for the operation context (introspection fields). */
  private readonly apiGraphQLSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly plans: TtlLru<string, EventPlan>;
  /** Each subgraph's name and routing URL, as the supergraph declares them. */
  readonly subgraphs: readonly { name: string; url: string }[];

  constructor(supergraphSdl: string, maxPlans = DEFAULT_MAX_PLANS) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.apiSchema = supergraph.apiSchema();
    this.apiGraphQLSchema = this.apiSchema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
    this.plans = new TtlLru(maxPlans, Number.POSITIVE_INFINITY);
    this.subgraphs = [...supergraph.subgraphs().values()].map((s) => ({ name: s.name, url: s.url }));
  }

  /** The plan of a validated subscription document (throws when it cannot be planned). */
  plan(document: DocumentNode, operationName?: string | null): EventPlan {
    // Printing normalises whitespace, commas and comments, so the same operation written twice shares a plan.
    const key = `${operationName ?? ''}\u0000${print(document)}`;
    const cached = this.plans.get(key);
    if (cached) return cached;
    const plan = this.build(key, document, operationName ?? undefined);
    this.plans.set(key, plan);
    return plan;
  }

  private build(key: string, document: DocumentNode, operationName: string | undefined): EventPlan {
    const operation = getOperationAST(document, operationName);
    if (!operation || operation.operation !== 'subscription') throw new Error('not a subscription operation');
    const queryPlan = this.planner.buildQueryPlan(operationFromDocument(this.apiSchema, document, { operationName }));
    const node = queryPlan.node;
    if (node?.kind !== 'Subscription') throw new Error(`a subscription was planned as ${node?.kind ?? 'nothing'}`);
    const { primary, rest } = node;
    const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
    const belowRoot: ASTNode[] = operation.selectionSet.selections.flatMap((s): ASTNode[] => (s.kind === Kind.FIELD ? [...(s.directives ?? []), ...(s.selectionSet ? [s.selectionSet] : [])] : [s]));
    return {
      key,
      queryPlan: { kind: 'QueryPlan', node: rest ? { kind: 'Sequence', nodes: [primary, rest] } : primary },
      primary,
      answer: compilePrimaryAnswer(primary.operation),
      operationContext: buildOperationContext({ schema: this.apiGraphQLSchema, operationDocument: document, operationName }),
      schemas: { supergraph: this.supergraphSchema, api: this.apiSchema },
      variableNames: [...usedNames(belowRoot, fragments).variables].sort(),
    };
  }
}
