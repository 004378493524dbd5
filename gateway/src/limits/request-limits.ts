import { ApolloServer, HeaderMap, type HTTPGraphQLRequest, type HTTPGraphQLResponse } from '@apollo/server';
import type { ApolloServerOptions, ContextThunk } from '@apollo/server';
import type { GatewayContext } from '../context';
import { LimitCode } from './plugin';
import { countTokens } from './tokens';

export interface RequestLimits {
  /** Operations per HTTP request (a JSON array body is a batch). */
  maxBatch: number;
  /** Lexical tokens per operation document, counted before parsing. */
  maxTokens: number;
}

function refusal(code: string, message: string): HTTPGraphQLResponse {
  return {
    status: 400,
    headers: new HeaderMap([['content-type', 'application/json; charset=utf-8']]),
    body: { kind: 'complete', string: JSON.stringify({ errors: [{ message, extensions: { code } }] }) },
  };
}

/** The operation documents an HTTP request carries: the `query` of each batch entry, or the GET parameter. */
function documentsOf(request: HTTPGraphQLRequest): unknown[] {
  if (request.method === 'GET') return [new URLSearchParams(request.search).get('query')];
  const entries = Array.isArray(request.body) ? request.body : [request.body];
  return entries.map((entry) => (entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>).query : undefined));
}

/** The first request-level limit a request breaks, or undefined. */
export function requestLimitRefusal(request: HTTPGraphQLRequest, limits: RequestLimits): HTTPGraphQLResponse | undefined {
  if (Array.isArray(request.body) && request.body.length > limits.maxBatch) {
    return refusal(LimitCode.BATCH_TOO_LARGE, `the request batches ${request.body.length} operations; the limit is ${limits.maxBatch}`);
  }
  for (const document of documentsOf(request)) {
    if (typeof document !== 'string') continue;
    const tokens = countTokens(document, limits.maxTokens);
    if (tokens !== undefined && tokens > limits.maxTokens) {
      return refusal(LimitCode.TOO_MANY_TOKENS, `the operation has more than ${limits.maxTokens} tokens`);
    }
  }
  return undefined;
}

/**
 * Apollo Server with the checks that must see the whole HTTP request: the batch size (Apollo runs a
 * batch's operations one by one and no plugin sees the count) and the token count of each document
 * (before the parser spends time on it). They run whatever transport delivers the request.
 */
export class LimitedApolloServer extends ApolloServer<GatewayContext> {
  constructor(
    config: ApolloServerOptions<GatewayContext>,
    private readonly requestLimits: RequestLimits,
  ) {
    super(config);
  }

  override async executeHTTPGraphQLRequest(args: { httpGraphQLRequest: HTTPGraphQLRequest; context: ContextThunk<GatewayContext> }): Promise<HTTPGraphQLResponse> {
    return requestLimitRefusal(args.httpGraphQLRequest, this.requestLimits) ?? super.executeHTTPGraphQLRequest(args);
  }
}
