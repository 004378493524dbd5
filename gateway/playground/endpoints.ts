/**
 * The gateway's URLs, relative to the page (`/playground`), so the playground also works behind a path prefix.
 * HTTP GraphQL and graphql-ws share one path.
 */
export interface Endpoints {
  graphql: string;
  token: string;
  socket: string;
}

/** `page` is the page's `location` (only its address and scheme are read). */
export function endpointsFor(page: { href: string; protocol: string }): Endpoints {
  const graphql = new URL('graphql', page.href);
  const socket = new URL(graphql);
  socket.protocol = page.protocol === 'https:' ? 'wss:' : 'ws:';
  return { graphql: graphql.href, token: new URL('token', page.href).href, socket: socket.href };
}
