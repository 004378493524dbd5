import { executeQueryPlan, type GraphQLDataSource, type GraphQLDataSourceProcessOptions, type ServiceMap } from '@apollo/gateway';
import { ErrorCode, TtlLru, type Logger } from '@chat4all/common';
import { createSourceEventStream, GraphQLError, type ExecutionArgs, type ExecutionResult, type GraphQLFieldResolver } from 'graphql';
import type { Caller } from '../auth';
import type { GatewayContext } from '../context';
import type { SubscriptionContext, SubscriptionDeps } from './context';
import { payloadJson } from './frames';
import type { LiveEvent } from './fanout';
import type { EventPlan, SubscriptionPlanner } from './plan';
import type { FetchedEntities } from './selection';

/** One subscriber's operation, planned: subscribers with the same `key` get the same result for an event. */
export interface EventSelection {
  plan: EventPlan;
  /** Plan key + the values of the variables the result depends on. */
  key: string;
  variables: Record<string, unknown>;
}

type RequestContext = Parameters<typeof executeQueryPlan>[2];
/**
 * A resolution in flight or done, whom it was resolved as, (once done) its result, and (till then) who waits for it
 * without a promise of their own (`whenResolved`).
 */
type SharedResult = { userId: string; result: Promise<ExecutionResult>; settled?: ExecutionResult; waiters?: (() => void)[] };

/** Codes with which a subgraph refuses the caller (rather than failing). */
const REFUSALS = new Set<unknown>([ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN, ErrorCode.UNAUTHENTICATED]);
/**
 * Refusals that mean "not a member of the event's conversation" (a subgraph hides what a non-member may not read:
 * the messages subgraph resolves such a message to null, answered here as NOT_FOUND).
 */
const NOT_A_MEMBER = new Set<unknown>([ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN]);
type SubgraphResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

/** Whether a subgraph refused the user the result was resolved as. */
const refusedIn = (result: ExecutionResult) => result.errors?.some((e) => REFUSALS.has(e.extensions.code)) ?? false;
/** The result as the subscriber it was resolved as receives it: null when refused as not a member (nothing to send). */
const asOwnAnswer = (result: ExecutionResult) => (result.errors?.some((e) => NOT_A_MEMBER.has(e.extensions.code)) ? null : result);

/** Counts what resolving events costs (the gateway's /metrics; tests count too). */
export interface ResolutionMetrics {
  /** One request to a subgraph made to resolve an event. */
  subgraphFetch(subgraph: string): void;
  /** One event resolved for one distinct selection (however many subscribers receive it). */
  resolution(outcome: 'ok' | 'error'): void;
}

export interface EventResolverOptions {
  /** The planner of the current supergraph. */
  planner: () => SubscriptionPlanner;
  /** The gateway's subgraph data sources by name (signed identity, keep-alive pools), as HTTP queries use them. */
  services: () => ServiceMap;
  log: Logger;
  metrics?: ResolutionMetrics;
  /**
   * How long a resolution stays findable by the event's position (for a copy of an event, e.g. replayed for a resuming
   * subscriber); the event object itself holds its results as long as some queue holds it.
   */
  shareTtlMs?: number;
  /** Most resolutions findable by position at once. */
  maxShared?: number;
}

export const DEFAULT_SHARE = { ttlMs: 5_000, maxEntries: 5_000 };

/** A resolution failure as the subscriber sees it: our services' codes pass, anything else is INTERNAL_SERVER_ERROR. */
function subscriberError(error: unknown): GraphQLError {
  const known = new Set<unknown>(Object.values(ErrorCode));
  if (error instanceof GraphQLError && known.has(error.extensions.code)) return error;
  const original = error instanceof GraphQLError ? error : undefined;
  return new GraphQLError("this event's fields could not be resolved", {
    ...(original?.path && { path: original.path }),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  });
}

/**
 * Answers the plan's primary fetch (the subscription root field on the messages subgraph) from the event: the
 * fields the event carries are copied from it, the others come from ONE `_entities` query for exactly those fields
 * (none when the event carries all). Any other request to that subgraph (a `rest` fetch) goes to it as usual.
 */
class EventAnsweringSource implements GraphQLDataSource<GatewayContext> {
  constructor(
    private readonly event: LiveEvent,
    private readonly plan: EventPlan,
    private readonly subgraph: GraphQLDataSource<GatewayContext> | undefined,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    const { answer, primary } = this.plan;
    if (options.request.query !== primary.operation) {
      if (!this.subgraph) throw new Error(`no data source for subgraph ${primary.serviceName}`);
      return this.subgraph.process(options);
    }
    const entityQuery = answer.entityQuery;
    if (!entityQuery) return { data: answer.build(this.event, {}) };
    if (!this.subgraph) throw new Error(`no data source for subgraph ${primary.serviceName}`);
    const variables: Record<string, unknown> = { representations: [{ __typename: 'Message', id: this.event.messageId }] };
    for (const name of entityQuery.variableNames) if (options.request.variables && name in options.request.variables) variables[name] = options.request.variables[name];
    // Every event is published after its message was stored (the router's SENT too), so a message the subgraph does
    // not return is one this subscriber may not read (or one that is gone): NOT_FOUND, not something to wait for.
    const response = await this.subgraph.process({ ...options, request: { query: entityQuery.query, operationName: 'SubscriptionEventMessage', variables } });
    const fetched = (response.data ?? {}) as FetchedEntities;
    if (response.errors?.length) return { data: answer.build(this.event, fetched), errors: response.errors };
    if (Object.values(fetched).every((entities) => entities?.[0])) return { data: answer.build(this.event, fetched) };
    return { data: answer.build(this.event, fetched), errors: [{ message: "the event's message cannot be read", extensions: { code: ErrorCode.NOT_FOUND } }] };
  }
}

/**
 * Resolves subscription events on the query planner's output, once per (event, distinct selection).
 *
 * Sharing across users: an event reaches only members of its conversation (source.ts checks it per event), and no
 * field under `Message` in any subgraph depends on who asks beyond that membership (subgraphs/*\/src/schema.graphql:
 * no `me`-relative fields; Message, Conversation, User and File references answer members alike; File.url is a
 * presigned link any member may follow). So subscribers holding the same selection and variables get the same
 * result whoever they are; it is fetched with the identity of the first of them, as an HTTP query of theirs would
 * be (a refusal of that subscriber is not shared: see `resolve`). A field computed from the caller would have to put
 * the user into the selection key for selections holding it.
 */
export class EventResolver {
  /**
   * The fan-out hands every listener the same event object: its results live as long as it does (some queue still
   * holds it), so they are forgotten once the event is delivered, and a lookup costs no key building.
   */
  private readonly byEvent = new WeakMap<LiveEvent, Map<string, SharedResult>>();
  /** The same resolutions by the event's position, for copies of an event (bounded, short-lived). */
  private readonly byPosition: TtlLru<string, SharedResult>;
  private countedFor: ServiceMap | undefined;
  private counted: ServiceMap = Object.create(null) as ServiceMap;

  constructor(private readonly options: EventResolverOptions) {
    this.byPosition = new TtlLru(options.maxShared ?? DEFAULT_SHARE.maxEntries, options.shareTtlMs ?? DEFAULT_SHARE.ttlMs);
  }

  /** Plans a subscriber's operation (cached) and keys it for sharing; throws when it cannot be planned. */
  select(args: Pick<ExecutionArgs, 'document' | 'operationName' | 'variableValues'>): EventSelection {
    const plan = this.options.planner().plan(args.document, args.operationName);
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    return { plan, variables, key: `${plan.key}\u0000${JSON.stringify(plan.variableNames.map((name) => variables[name] ?? null))}` };
  }

  /**
   * The result of one event for one selection: computed once and shared by every subscriber holding the selection.
   * Null when a subgraph refused this very subscriber as not a member of the event's conversation (NOT_FOUND,
   * FORBIDDEN): the event is not theirs to receive (see `subscribeThroughPlans`).
   */
  async resolve(event: LiveEvent, selection: EventSelection, caller: Caller): Promise<ExecutionResult | null> {
    let own = this.shared(event, selection.key, selection, caller);
    if (own.userId !== caller.userId) {
      const result = await own.result;
      if (!refusedIn(result)) return result;
      // A subgraph refused the subscriber it was resolved as (inside the membership delay bound, a member just
      // removed may still be handed events by the gateway's cache while a subgraph already refuses it). That answer
      // is its own: everyone else resolves as themselves.
      own = this.shared(event, `${selection.key}\u0000${caller.userId}`, selection, caller);
    }
    return asOwnAnswer(await own.result);
  }

  /**
   * Starts resolving the event for the selection, as `caller`, unless it is resolving or resolved already: the
   * subscriber's `resolve` then finds it under way. Never fails (a failed resolution is a result with errors).
   */
  prefetch(event: LiveEvent, selection: EventSelection, caller: Caller): void {
    this.shared(event, selection.key, selection, caller);
  }

  /**
   * What `resolve` would answer, when the answer is already at hand (the event was resolved for an earlier subscriber
   * holding the selection): no promise and no wait. Undefined when `resolve` must be called (not resolved yet, or
   * resolved as someone a subgraph refused).
   */
  resolvedNow(event: LiveEvent, selection: EventSelection, caller: Caller): ExecutionResult | null | undefined {
    const own = this.byEvent.get(event)?.get(selection.key);
    if (!own?.settled) return undefined;
    if (own.userId !== caller.userId) return refusedIn(own.settled) ? undefined : own.settled;
    return asOwnAnswer(own.settled);
  }

  /**
   * Calls `then` once the event's resolution for the selection has settled: at once when it has, else when it does
   * (started now if none is under way). Every subscriber of a selection waits in one list, with no promise each;
   * `then` reads the answer with `resolvedNow` (undefined there: call `resolve`). `then` must not throw.
   */
  whenResolved(event: LiveEvent, selection: EventSelection, caller: Caller, then: () => void): void {
    const shared = this.shared(event, selection.key, selection, caller);
    if (shared.settled) then();
    else (shared.waiters ??= []).push(then);
  }

  private shared(event: LiveEvent, key: string, selection: EventSelection, caller: Caller): SharedResult {
    let results = this.byEvent.get(event);
    if (!results) this.byEvent.set(event, (results = new Map()));
    const found = results.get(key);
    if (found) return found;
    const position = `${event.cursor}\u0000${event.messageId}\u0000${event.status}\u0000${event.previousStatus ?? ''}\u0000${key}`;
    let entry = this.byPosition.get(position);
    if (!entry) {
      const created: SharedResult = {
        userId: caller.userId,
        result: this.execute(event, selection, caller).then((result) => {
          created.settled = result;
          const waiters = created.waiters;
          created.waiters = undefined;
          for (const then of waiters ?? []) then();
          return result;
        }),
      };
      this.byPosition.set(position, created);
      entry = created;
    }
    results.set(key, entry);
    return entry;
  }

  private async execute(event: LiveEvent, selection: EventSelection, caller: Caller): Promise<ExecutionResult> {
    const { plan } = selection;
    try {
      const services = this.services();
      const serviceMap: ServiceMap = Object.assign(Object.create(null) as ServiceMap, services, {
        [plan.primary.serviceName]: new EventAnsweringSource(event, plan, services[plan.primary.serviceName] as GraphQLDataSource<GatewayContext> | undefined),
      });
      // executeQueryPlan reads only the request's variables, the context (the data sources sign its identity),
      // the metrics it writes to and the logger; the rest of Apollo's request context has no meaning here.
      const requestContext = {
        request: { variables: selection.variables, operationName: plan.operationContext.operation.name?.value },
        context: { identity: caller } satisfies GatewayContext,
        metrics: {},
        logger: { debug: () => undefined, info: () => undefined, warn: (m: unknown) => this.options.log.warn(String(m)), error: (m: unknown) => this.options.log.error(String(m)) },
      } as unknown as RequestContext;
      const response = await executeQueryPlan(plan.queryPlan, serviceMap, requestContext, plan.operationContext, plan.schemas.supergraph, plan.schemas.api);
      const errors = response.errors?.map(subscriberError);
      if (errors?.length) this.options.log.warn({ messageId: event.messageId, errors: response.errors?.map((e) => e.message) }, 'a subscription event resolved with errors');
      this.options.metrics?.resolution(errors?.length ? 'error' : 'ok');
      return errors?.length ? { data: (response.data ?? null) as ExecutionResult['data'], errors } : { data: response.data as ExecutionResult['data'] };
    } catch (error) {
      this.options.log.error({ err: error, messageId: event.messageId }, 'a subscription event could not be resolved');
      this.options.metrics?.resolution('error');
      return { data: null, errors: [subscriberError(error)] };
    }
  }

  /** The gateway's data sources, each counting its requests. */
  private services(): ServiceMap {
    const services = this.options.services();
    if (services === this.countedFor) return this.counted;
    const metrics = this.options.metrics;
    const counted = Object.create(null) as ServiceMap;
    for (const [name, source] of Object.entries(services)) {
      counted[name] = metrics ? { process: (options) => (metrics.subgraphFetch(name), source.process(options)) } : source;
    }
    this.countedFor = services;
    this.counted = counted;
    return counted;
  }
}

/**
 * graphql-ws's `subscribe` for the gateway: the root field's event stream (source.ts) mapped to results resolved on
 * the query planner's output (EventResolver), instead of executing the operation with graphql-js per subscriber per
 * event. The operation is planned when the subscription starts; each event then costs this subscriber a place in the
 * list of its shared resolution's waiters (the resolution itself is shared with every subscriber holding the same
 * selection) and one socket write of the result serialized once for all of them (frames.ts). A subscriber that is
 * behind (its events queue) takes them one at a time through the iterator below instead.
 *
 * So the iterator handed to graphql-ws writes each `next` message itself and yields nothing: graphql-ws keeps the
 * protocol (subscribe, complete from the client, which calls `return`, and the `complete` or `error` at the end),
 * while the events bypass its per-subscriber JSON.stringify.
 */
export function subscribeThroughPlans(deps: SubscriptionDeps, subscribeFieldResolver: GraphQLFieldResolver<unknown, SubscriptionContext>) {
  return async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    let selection: EventSelection;
    try {
      selection = deps.events.select(args);
    } catch (error) {
      deps.log.error({ err: error }, 'a subscription could not be planned');
      return { errors: [subscriberError(error)] };
    }
    const context = args.contextValue as SubscriptionContext;
    const { caller, sendNext } = context;
    // Set once the subscription is completed (by the client, the socket closing, or its stream ending): a resolution
    // still in flight then sends nothing, so no `next` follows a `complete`.
    let completed = false;
    /** Sends an event's result; null is a refusal as not a member (see below): nothing to send. */
    const answer = (event: LiveEvent, result: ExecutionResult | null) => {
      if (completed) return;
      if (result) return sendNext(payloadJson(result));
      // Refused as not a member: the gateway's cached "member" answer is stale (a removal inside the delay bound).
      // Not a member at this moment, so nothing is sent; the next event asks the users subgraph afresh.
      deps.membership.forget(event.conversationId, caller.userId);
    };
    context.prefetch = { key: selection.key, start: (event) => deps.events.prefetch(event, selection, caller) };
    // The steady state: the event is written when its shared resolution settles, from the resolution's own list of
    // waiters, with no promise or queue read for this subscriber (stream.ts holds its later events meanwhile).
    const unsent = (event: LiveEvent, error: unknown) => deps.log.error({ err: error, messageId: event.messageId }, 'a subscription event could not be sent');
    context.deliverNow = (event, done) => {
      deps.events.whenResolved(event, selection, caller, () => {
        try {
          const result = deps.events.resolvedNow(event, selection, caller);
          if (result !== undefined) {
            answer(event, result);
            return done();
          }
          // Resolved as a subscriber a subgraph refused: this one resolves as itself.
          deps.events.resolve(event, selection, caller).then((own) => answer(event, own), (error: unknown) => unsent(event, error)).finally(done);
        } catch (error) {
          unsent(event, error);
          done();
        }
      });
      return true;
    };
    const stream = await createSourceEventStream({ ...args, subscribeFieldResolver });
    if (!(Symbol.asyncIterator in stream)) return stream;
    const events = stream[Symbol.asyncIterator]();
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      async next() {
        for (;;) {
          const item = await events.next();
          if (item.done || completed) {
            completed = true;
            return { done: true, value: undefined };
          }
          const event = item.value as LiveEvent;
          // Every subscriber after the first finds the shared result at hand: no promise per subscriber.
          let result = deps.events.resolvedNow(event, selection, caller);
          if (result === undefined) result = await deps.events.resolve(event, selection, caller);
          if (completed) return { done: true, value: undefined };
          answer(event, result);
        }
      },
      async return() {
        completed = true;
        await events.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  };
}
