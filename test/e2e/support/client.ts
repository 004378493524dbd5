import { ApolloClient, HttpLink, InMemoryCache, type OperationVariables, type TypedDocumentNode } from '@apollo/client';
import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';

/**
 * Apollo Client 4 as an application would set it up: HttpLink to the gateway, the bearer token in a header. The tests
 * read fresh data every time, so nothing is served from the cache.
 */
export function apolloClient(graphqlUrl: string, token?: string): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({ uri: graphqlUrl, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } }),
    cache: new InMemoryCache(),
    defaultOptions: { query: { fetchPolicy: 'no-cache' }, watchQuery: { fetchPolicy: 'no-cache' }, mutate: { fetchPolicy: 'no-cache' } },
  });
}

/** Runs a typed query or mutation and returns its data; any error rejects. */
export async function run<TData, TVariables extends OperationVariables>(
  client: ApolloClient,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
): Promise<TData> {
  const isMutation = document.definitions.some((d) => d.kind === 'OperationDefinition' && d.operation === 'mutation');
  const result = isMutation
    ? await client.mutate<TData, TVariables>({ mutation: document, variables } as ApolloClient.MutateOptions<TData, TVariables>)
    : await client.query<TData, TVariables>({ query: document, variables } as ApolloClient.QueryOptions<TData, TVariables>);
  if (result.error) throw result.error;
  if (result.data == null) throw new Error('no data and no error');
  return result.data as TData;
}

export interface Refusal {
  /** The HTTP status when the server refused the whole request (non-2xx); undefined for errors inside a 200 answer. */
  status?: number;
  codes: string[];
}

/** The `extensions.code`s of the error an operation fails with (as Apollo Client reports it), and the HTTP status. */
export async function refusal(operation: Promise<unknown>): Promise<Refusal> {
  try {
    await operation;
  } catch (error) {
    if (CombinedGraphQLErrors.is(error)) return { codes: error.errors.map((e) => String(e.extensions?.code)) };
    if (ServerError.is(error)) {
      const body = JSON.parse(error.bodyText) as { errors?: { extensions?: { code?: unknown } }[] };
      return { status: error.statusCode, codes: (body.errors ?? []).map((e) => String(e.extensions?.code)) };
    }
    throw error;
  }
  throw new Error('the operation succeeded; an error was expected');
}
