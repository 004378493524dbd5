import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { signIdentity, unavailable, type Logger } from '@chat4all/common';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from '../context';
import { distinctRepresentations, spreadEntities } from './entity-representations';
import type { Fetcher } from './fetcher';

export const IDENTITY_HEADER_PREFIX = 'x-chat4all-identity';

export interface SubgraphDataSourceOptions {
  /** The subgraph's name in the supergraph: a client told it did not answer reads which service. */
  name: string;
  url: string;
  fetcher: Fetcher;
  identityKey: string;
  /** Where the cause goes when the subgraph does not answer (the client gets UNAVAILABLE without it). */
  log?: Logger;
}

type Caller = NonNullable<GatewayContext['identity']>;

// Every fetch of every request signed within the same second for the same caller carries the same headers (they hold
// only the caller and the second), so they are computed once per caller and second, not per fetch or per request
// (each request has its own caller object, from the token). Only the current second's are kept.
let signedSecond = -1;
const signedThisSecond = new Map<string, Record<string, string>>();

function signedHeadersOf(identity: Caller, identityKey: string): Record<string, string> {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== signedSecond) {
    signedThisSecond.clear();
    signedSecond = second;
  }
  const cacheKey = `${identityKey}\n${identity.userId}\n${identity.username}`;
  let headers = signedThisSecond.get(cacheKey);
  if (!headers) {
    headers = signIdentity(identity, identityKey, now);
    signedThisSecond.set(cacheKey, headers);
  }
  return headers;
}

/** Sets the gateway-signed identity headers on a subgraph request, after removing any that were already there. */
export function applyIdentityHeaders(
  headers: { keys(): Iterable<string> | Iterator<string>; delete(name: string): void; set(name: string, value: string): void },
  identity: GatewayContext['identity'] | undefined,
  identityKey: string,
): void {
  // Only the gateway may speak for a caller: whatever identity header reached this request from
  // elsewhere is dropped before the signed one is added. (The gateway does not copy client headers
  // to subgraphs at all; this guards against a future header-propagation change.)
  const names = [...(headers.keys() as Iterable<string>)];
  for (const name of names) if (name.toLowerCase().startsWith(IDENTITY_HEADER_PREFIX)) headers.delete(name);
  if (!identity) return;
  for (const [name, value] of Object.entries(signedHeadersOf(identity, identityKey))) headers.set(name, value);
}

type SubgraphResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/**
 * A subgraph over HTTP with the caller's identity signed into the headers and a keep-alive pool; an entity fetch
 * sends each distinct representation once (see entity-representations.ts).
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  protected readonly identityKey: string;
  protected readonly name: string;
  protected readonly log: Logger | undefined;

  constructor(options: SubgraphDataSourceOptions) {
    super({ url: options.url, fetcher: options.fetcher });
    this.identityKey = options.identityKey;
    this.name = options.name;
    this.log = options.log;
    // Declared as an optional property on the base class, so it is assigned rather than overridden as a method.
    this.willSendRequest = (processOptions) => this.signRequest(processOptions);
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    const variables = options.request.variables;
    // The gateway refuses client variables named `representations`, so this one is always its entity fetch's.
    const representations: unknown = variables?.representations;
    const distinct = Array.isArray(representations) ? distinctRepresentations(representations) : null;
    if (!distinct) return super.process(options);
    const request = { ...options.request, variables: { ...variables, representations: distinct.distinct } };
    return spreadEntities(await super.process({ ...options, request }), distinct);
  }

  /**
   * No answer at all (refused, reset, timed out) is the subgraph being unavailable, which a retry may get past: the
   * client gets UNAVAILABLE naming the service, the cause (addresses and all) only the log. An answer that is not
   * GraphQL (an HTTP error, a body that does not parse) stays an unexpected error, as Apollo makes it, without the
   * subgraph's address and body.
   */
  override didEncounterError(error: Error, _fetchRequest: unknown, response?: unknown): void {
    if (response === undefined && !(error instanceof GraphQLError)) throw this.unavailable(error);
    // Apollo's error for a non-2xx answer carries the subgraph's URL and body (`extensions.response`), and a 401/403
    // keeps its code, so no error formatter would hide it: the client gets the status and code, the log the rest.
    if (error instanceof GraphQLError && error.extensions.response !== undefined) {
      const { response: upstream, ...extensions } = error.extensions;
      this.log?.warn({ subgraph: this.name, response: upstream }, 'subgraph answered with an HTTP error');
      throw new GraphQLError(error.message, { extensions, originalError: error });
    }
    throw error;
  }

  protected unavailable(cause: unknown): GraphQLError {
    this.log?.warn({ err: cause, subgraph: this.name }, 'subgraph did not answer');
    return unavailable(`the ${this.name} service did not answer; try again`);
  }

  protected signRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    if (!request.http) return;
    // Schema loading and health checks carry no caller (context is `{}`).
    const identity = (context as Partial<GatewayContext> | undefined)?.identity;
    applyIdentityHeaders(request.http.headers, identity, this.identityKey);
  }
}
