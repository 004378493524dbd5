import type { GraphQLFormattedError } from 'graphql';

/**
 * Apollo Gateway asks a subgraph for one representation per entity occurrence: a page of 50 messages by 3 senders
 * sends 50 `User` representations, and the subgraph resolves, serializes and returns 50 answers for 3 users. These
 * helpers let a data source send each distinct representation once and hand the gateway back the answer it would have
 * got for the full list: each entity in its place and each error at every place its entity held.
 */

/** The distinct representations in first-seen order, and for each original one the index of its distinct one. */
export interface DistinctRepresentations {
  distinct: unknown[];
  indexOf: number[];
}

/**
 * Null when every representation is distinct (nothing to gain). Two representations are the same when their JSON is:
 * the gateway builds each from the same `requires` selection, so equal entities give equal key order.
 */
export function distinctRepresentations(representations: readonly unknown[]): DistinctRepresentations | null {
  if (representations.length < 2) return null;
  const seen = new Map<string, number>();
  const distinct: unknown[] = [];
  const indexOf: number[] = [];
  for (const representation of representations) {
    const key = JSON.stringify(representation);
    let at = seen.get(key);
    if (at === undefined) {
      at = distinct.length;
      distinct.push(representation);
      seen.set(key, at);
    }
    indexOf.push(at);
  }
  return distinct.length < representations.length ? { distinct, indexOf } : null;
}

/** A JSON value copied deeply: the gateway merges later fetches into each entity object, so no two places share one. */
function copyJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyJson);
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) copy[key] = copyJson(field);
  return copy;
}

export interface EntitiesResponse {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
}

/**
 * The subgraph's answer to the distinct representations, spread back over the original list. An answer whose
 * `_entities` does not hold one entry per distinct representation is returned as it is, for the gateway to refuse as
 * it would any malformed answer. An error under `_entities[i]` is repeated under every original index of `i`.
 */
export function spreadEntities<R extends EntitiesResponse>(response: R, { distinct, indexOf }: DistinctRepresentations): R {
  const entities = response.data?._entities;
  if (!Array.isArray(entities) || entities.length !== distinct.length) return response;
  const placesOf: number[][] = distinct.map(() => []);
  indexOf.forEach((at, place) => placesOf[at]!.push(place));
  const spread = indexOf.map((at, place) => (placesOf[at]![0] === place ? entities[at] : copyJson(entities[at])));
  const result: R = { ...response, data: { ...response.data, _entities: spread } };
  if (response.errors) {
    result.errors = response.errors.flatMap((error) => {
      const [root, at, ...rest] = error.path ?? [];
      if (root !== '_entities' || typeof at !== 'number' || placesOf[at] === undefined) return [error];
      return placesOf[at].map((place) => ({ ...error, path: ['_entities', place, ...rest] }));
    });
  }
  return result;
}
