import { PeerUnavailableError } from './port';

export interface PeerOptions {
  /** The peer's name, for errors and logs (`users`, `files`). */
  name: string;
  /** The peer subgraph's GraphQL endpoint, e.g. http://127.0.0.1:4001/graphql. */
  url: string;
  /** Headers that authenticate this service to the peer: a service identity, signed afresh for each call. */
  authHeaders: () => Record<string, string>;
  timeoutMs: number;
}

interface EntitiesResponse {
  data?: { _entities?: unknown } | null;
  errors?: { message?: string }[];
}

/**
 * Asks a peer subgraph for entities by key, the way the gateway does (`_entities`), with one representation per id.
 * Answers in request order with null where the peer has no such entity. `selection` is the fields inside
 * `... on <typename> { }`; `parse` checks one returned object.
 */
export async function fetchEntities<T>(
  peer: PeerOptions,
  typename: string,
  ids: readonly string[],
  selection: string,
  parse: (entity: unknown) => T | null,
): Promise<(T | null)[]> {
  if (ids.length === 0) return [];
  const query = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${typename} { ${selection} } } }`;
  const representations = ids.map((id) => ({ __typename: typename, id }));
  let response: Response;
  try {
    response = await fetch(peer.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...peer.authHeaders() },
      body: JSON.stringify({ query, variables: { representations } }),
      signal: AbortSignal.timeout(peer.timeoutMs),
    });
  } catch (error) {
    throw new PeerUnavailableError(peer.name, error instanceof Error ? error.message : String(error), { cause: error });
  }
  let body: EntitiesResponse;
  try {
    body = (await response.json()) as EntitiesResponse;
  } catch (error) {
    throw new PeerUnavailableError(peer.name, `HTTP ${response.status} without a JSON body`, { cause: error });
  }
  if (body.errors?.length) {
    throw new PeerUnavailableError(peer.name, `HTTP ${response.status}: ${body.errors.map((e) => e.message ?? '?').join('; ')}`);
  }
  const entities = body.data?._entities;
  if (!Array.isArray(entities) || entities.length !== ids.length) {
    throw new PeerUnavailableError(peer.name, `HTTP ${response.status}: _entities missing or of the wrong length`);
  }
  return entities.map((entity: unknown) => (entity === null ? null : parse(entity)));
}

/** A field of a returned entity, checked; a peer answering in another shape is a broken peer, not bad input. */
export function entityField<T>(peer: string, entity: unknown, field: string, check: (value: unknown) => value is T): T {
  const value = typeof entity === 'object' && entity !== null ? (entity as Record<string, unknown>)[field] : undefined;
  if (!check(value)) throw new PeerUnavailableError(peer, `entity without a valid ${field}`);
  return value;
}
