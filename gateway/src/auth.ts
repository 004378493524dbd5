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
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match) throw unauthenticated('the Authorization header must be "Bearer <token>"');
  try {
    return await jwt.verify(match[1] as string);
  } catch (error) {
    if (error instanceof AuthError) throw unauthenticated(`invalid token: ${error.message}`);
    throw error;
  }
}
