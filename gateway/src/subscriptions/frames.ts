import type { ExecutionResult } from 'graphql';

/**
 * graphql-transport-ws `next` messages written from a payload serialized once. Every subscriber holding the same
 * selection receives the very same ExecutionResult object for an event (resolve.ts shares it), so its JSON is
 * computed and UTF-8 encoded for the first of them and kept with the object; each socket then gets those bytes behind
 * its own subscription id (one copy, no encoding). graphql-ws would stringify and encode the whole message once per
 * subscriber: at 10,000 subscribers, 10,000 serializations of the same payload per event.
 */
const payloads = new WeakMap<ExecutionResult, Buffer>();
const END = Buffer.from('}');

/**
 * The result as graphql-ws puts it in a `next` payload, as UTF-8 JSON, computed once per object (JSON.stringify calls
 * each GraphQLError's toJSON, as graphql-ws does).
 */
export function payloadJson(result: ExecutionResult): Buffer {
  let json = payloads.get(result);
  if (json === undefined) {
    json = Buffer.from(JSON.stringify(result));
    payloads.set(result, json);
  }
  return json;
}

/** What comes before the payload in every `next` message of subscription `id` (the same key order as graphql-ws). */
export function nextPrefix(id: string): Buffer {
  return Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
}

/** A whole `next` message from its prefix and serialized payload (sent as a text frame). */
export function nextMessage(prefix: Buffer, payload: Buffer): Buffer {
  return Buffer.concat([prefix, payload, END], prefix.length + payload.length + END.length);
}
