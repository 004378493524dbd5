import { AuthError, unauthenticated, type JwtService, type UserIdentity } from '@chat4all/common';

/** What the gateway forwards: the user a verified token names (signIdentity adds the time). */
export type Caller = Pick<UserIdentity, 'userId' | 'username'>;

/**
 * The caller behind an `Authorization` header. No header: anonymous (register and login need it;
 * each subgraph decides what anonymous callers may do). A header that is not a valid, unexpired
 * bearer token is refused outright rather than downgraded to anonymous, so a client learns that its
 * token is bad instead of seeing "not found" everywhere.
 */
export async function callerFromAuthorization(header: string | undefined, jwt: Pick<JwtService, 'verify'>): Promise<Caller | null> {
  if (header === undefined || header.trim() === '') return null;
  const token = bearerToken(header);
  if (token === undefined) throw unauthenticated('the Authorization header must be "Bearer <token>"');
  try {
    return await jwt.verify(token);
  } catch (error) {
    if (error instanceof AuthError) throw unauthenticated(`invalid token: ${error.message}`);
    throw error;
  }
}

/** The token of a `Bearer <token>` header, or undefined for any other shape. */
function bearerToken(header: string): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(header)?.[1];
}

/** When the bearer token in this header expires (ms since the epoch); read only after `callerFromAuthorization` took it. */
export function bearerExpiryMs(header: string): number | undefined {
  const token = bearerToken(header);
  return token === undefined ? undefined : expiryMs(token);
}

/** The `exp` (seconds) of a token whose signature was just verified, in milliseconds. */
function expiryMs(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' && Number.isFinite(payload.exp) ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `jwt.verify` with the answers for tokens that verified kept until the token expires, for at most `maxEntries`
 * tokens (least recently used go first). A client sends the same token on every request; verifying its signature
 * each time (WebCrypto, a thread-pool hop per request) was the gateway's largest own cost on the history page.
 * Only successes are kept, keyed by the whole token text, and never past `exp`; 0 entries turns the cache off.
 */
export function cachingVerifier(jwt: Pick<JwtService, 'verify'>, maxEntries: number, now: () => number = Date.now): Pick<JwtService, 'verify'> {
  const verified = new Map<string, { caller: Caller; expiresAt: number }>();
  return {
    async verify(token) {
      const known = verified.get(token);
      if (known) {
        verified.delete(token);
        if (known.expiresAt > now()) {
          verified.set(token, known);
          return { ...known.caller };
        }
      }
      const caller = await jwt.verify(token);
      const expiresAt = expiryMs(token);
      if (maxEntries > 0 && expiresAt !== undefined) {
        verified.set(token, { caller: { userId: caller.userId, username: caller.username }, expiresAt });
        if (verified.size > maxEntries) verified.delete(verified.keys().next().value as string);
      }
      return caller;
    },
  };
}
