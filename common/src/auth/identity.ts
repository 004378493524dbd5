import { createHmac, timingSafeEqual } from 'node:crypto';
import { AuthError } from './errors';

/**
 * Who is calling a subgraph. The gateway verifies the client's token and forwards the user; a subgraph
 * calling another subgraph presents itself as a service. `iat` (seconds) is when the gateway signed it.
 */
export interface UserIdentity {
  kind: 'user';
  userId: string;
  username: string;
  iat: number;
}
export interface ServiceIdentity {
  kind: 'service';
  service: string;
  iat: number;
}
export type Identity = UserIdentity | ServiceIdentity;

/** What the signer is given: a user (from a verified token) or a service name. */
export type IdentityClaims = { userId: string; username: string } | { service: string };

export const IDENTITY_HEADER = 'x-chat4all-identity';
export const IDENTITY_SIGNATURE_HEADER = 'x-chat4all-identity-signature';
/** Signed identities older (or further in the future) than this are refused: a captured header is useful only briefly. */
export const IDENTITY_MAX_AGE_SECONDS = 60;

/** Node's IncomingHttpHeaders, a fetch `Headers` or Apollo's `HeaderMap`. */
export type HeaderSource = Record<string, string | string[] | undefined> | { get(name: string): string | null | undefined };

// A purpose prefix keeps this key's MACs from being valid for anything else signed with the same key.
function mac(payload: string, key: string): Buffer {
  return createHmac('sha256', key).update(`chat4all-identity.v1.${payload}`).digest();
}

/** Headers carrying `identity`, signed with HMAC-SHA256 under `key`. `now` is in milliseconds. */
export function signIdentity(identity: IdentityClaims, key: string, now: number = Date.now()): Record<string, string> {
  const iat = Math.floor(now / 1000);
  const claims = 'service' in identity ? { service: identity.service, iat } : { userId: identity.userId, username: identity.username, iat };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return { [IDENTITY_HEADER]: payload, [IDENTITY_SIGNATURE_HEADER]: mac(payload, key).toString('base64url') };
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof headers.get === 'function') return headers.get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  // Node folds repeated custom headers into one comma-joined string; an array means a raw duplicate.
  if (Array.isArray(value)) throw new AuthError(`${name} sent more than once`);
  return value;
}

const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256;

function decode(payload: string): Identity {
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new AuthError('identity header is not valid JSON');
  }
  if (typeof claims !== 'object' || claims === null) throw new AuthError('identity header is not an object');
  const c = claims as Record<string, unknown>;
  if (!Number.isInteger(c.iat)) throw new AuthError('identity header has no iat');
  const iat = c.iat as number;
  if (nonEmptyString(c.userId) && nonEmptyString(c.username) && c.service === undefined) {
    return { kind: 'user', userId: c.userId, username: c.username, iat };
  }
  if (nonEmptyString(c.service) && c.userId === undefined && c.username === undefined) return { kind: 'service', service: c.service, iat };
  throw new AuthError('identity header names neither a user nor a service');
}

/**
 * The identity the gateway (or a peer service) signed, or null when the request carries none (anonymous).
 * Throws AuthError when an identity is present but unsigned, wrongly signed, malformed or outside the time window.
 */
export function verifyIdentity(headers: HeaderSource, key: string, now: number = Date.now()): Identity | null {
  const payload = header(headers, IDENTITY_HEADER);
  const signature = header(headers, IDENTITY_SIGNATURE_HEADER);
  if (payload === undefined && signature === undefined) return null;
  if (!payload) throw new AuthError('identity signature without an identity');
  if (!signature) throw new AuthError('identity is not signed');
  const expected = mac(payload, key);
  const given = Buffer.from(signature, 'base64url');
  // Length first: timingSafeEqual needs equal lengths, and the length of a MAC is no secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AuthError('identity signature is invalid');
  const identity = decode(payload);
  if (Math.abs(Math.floor(now / 1000) - identity.iat) > IDENTITY_MAX_AGE_SECONDS) {
    throw new AuthError('identity signature has expired');
  }
  return identity;
}
