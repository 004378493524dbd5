import type { GraphiQLProps } from 'graphiql';
import { getOperationAST, parse, type DocumentNode, type ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import type { Endpoints } from './endpoints';

type Fetcher = GraphiQLProps['fetcher'];
/** What GraphiQL accepts as one result (its type names GraphQLError objects; it only prints them, as JSON). */
type Result = ExecutionResult;

/** A result as it arrives (JSON over HTTP, or a graphql-ws `next`): GraphiQL shows it as it is. */
function asResult(received: unknown): Result {
  return received as Result;
}

interface Observer {
  next: (value: Result) => void;
  error: (error: unknown) => void;
  complete: () => void;
}

export interface PlaygroundFetcher {
  fetcher: Fetcher;
  /** Closes the socket (ending its subscriptions): the next subscription connects with the current token. */
  resetSocket(): void;
}

/**
 * The session's token as `Authorization: Bearer …`, then the Headers tab's entries on top (case-insensitively, so an
 * `authorization` typed there replaces the session's).
 */
export function headersFor(token: string | undefined, editorHeaders: Record<string, unknown> | undefined): Headers {
  const headers = new Headers({ 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' });
  if (token) headers.set('authorization', `Bearer ${token}`);
  for (const [name, value] of Object.entries(editorHeaders ?? {})) headers.set(name, String(value));
  return headers;
}

export function isSubscription(query: string, operationName: string | null | undefined, documentAST: DocumentNode | undefined): boolean {
  try {
    return getOperationAST(documentAST ?? parse(query), operationName ?? undefined)?.operation === 'subscription';
  } catch {
    // Not parseable: the gateway's answer over HTTP says why.
    return false;
  }
}

/** What a closed socket means for the person at the page (graphql-ws hands over the CloseEvent itself). */
export function describeSocketError(error: unknown, socketUrl: string): unknown {
  if (Array.isArray(error) || error instanceof Error) return error;
  const close = error as { code?: unknown; reason?: unknown; type?: unknown } | null;
  if (typeof close?.code === 'number') {
    if (close.code === 4403) return new Error('the gateway refused the subscription (4403 Forbidden): log in above (or set an Authorization header) and run it again');
    if (close.code === 4429) return new Error('the subscription fell too far behind (4429) and was closed: run it again');
    return new Error(`the subscription socket closed (${close.code}${close.reason ? ` ${String(close.reason)}` : ''})`);
  }
  return new Error(`could not open the subscription socket ${socketUrl}`);
}

/**
 * GraphiQL's fetcher: queries and mutations as HTTP POSTs to /graphql, subscriptions over graphql-ws on the same path
 * with the same Authorization in `connection_init` (`connectionParams.authorization`). One socket per authorization:
 * a different token (a login, a logout, a header typed in the Headers tab) opens a new one.
 */
export function createPlaygroundFetcher(endpoints: Endpoints, token: () => string | undefined): PlaygroundFetcher {
  let socket: { client: Client; authorization: string | null } | undefined;

  const resetSocket = () => {
    void socket?.client.dispose();
    socket = undefined;
  };

  const clientFor = (authorization: string | null): Client => {
    if (socket && socket.authorization === authorization) return socket.client;
    resetSocket();
    const client = createClient({
      url: endpoints.socket,
      connectionParams: authorization ? { authorization } : {},
      // A refused or dropped socket is shown to the user, who runs the subscription again.
      retryAttempts: 0,
    });
    socket = { client, authorization };
    return client;
  };

  const fetcher: Fetcher = async (params, opts) => {
    const headers = headersFor(token(), opts?.headers);
    if (isSubscription(params.query, params.operationName, opts?.documentAST)) {
      const client = clientFor(headers.get('authorization'));
      const payload = { query: params.query, operationName: params.operationName ?? null, variables: params.variables ?? null };
      return {
        subscribe(observer: Partial<Observer> | ((value: Result) => void) | null | undefined, error?: ((e: unknown) => void) | null, complete?: () => void) {
          const sink = typeof observer === 'function' || !observer ? { next: observer ?? undefined, error: error ?? undefined, complete } : observer;
          const dispose = client.subscribe<Record<string, unknown>, unknown>(payload, {
            next: (value) => sink.next?.(asResult(value)),
            error: (e) => sink.error?.(describeSocketError(e, endpoints.socket)),
            complete: () => sink.complete?.(),
          });
          return { unsubscribe: dispose };
        },
      };
    }
    const response = await fetch(endpoints.graphql, { method: 'POST', headers, body: JSON.stringify(params) });
    const text = await response.text();
    try {
      return asResult(JSON.parse(text));
    } catch {
      throw new Error(`the gateway answered HTTP ${response.status}: ${text.slice(0, 300)}`);
    }
  };

  return { fetcher, resetSocket };
}
