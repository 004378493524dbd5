/** The documents the read benchmarks send, defined once. */

export const PAGE = 50;

/** A client's history page across the three subgraphs: messages (the conversation, its title, the page), then users + files. */
export const HISTORY_QUERY = `query History($id: ID!) {
  conversation(id: $id) {
    id title
    messages(first: ${PAGE}) {
      edges { cursor node { id content status createdAt sender { id displayName } attachment { id filename url } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

/**
 * What a gateway's query plan asks of the messages subgraph for HISTORY_QUERY: the conversation (its title shared with
 * the users subgraph) and the newest page, with key stubs for the senders and files other subgraphs resolve.
 */
export const SUBGRAPH_PAGE_QUERY = `query ($id: ID!) {
  conversation(id: $id) {
    id title
    messages(first: ${PAGE}) {
      edges { cursor node { id content status createdAt sender { __typename id } attachment { __typename id } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

export function historyBody(conversationId: string): string {
  return JSON.stringify({ query: HISTORY_QUERY, variables: { id: conversationId } });
}

export function subgraphPageBody(conversationId: string): string {
  return JSON.stringify({ query: SUBGRAPH_PAGE_QUERY, variables: { id: conversationId } });
}
