import { GraphQLError } from 'graphql';
import type { Identity, UserIdentity } from '../auth/identity';

/** The `extensions.code` values our services put on errors; clients branch on these, never on messages. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  BAD_REQUEST: 'BAD_REQUEST',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  /** A subscription's `after` points before the retained event log (or too far behind): reload by query. */
  CURSOR_EXPIRED: 'CURSOR_EXPIRED',
  /**
   * A service or the event bus this request needed did not answer; the message says what to do (retry, with the same
   * `clientMessageId` for a send). Unlike INTERNAL_SERVER_ERROR it is expected, and its message reaches the client.
   */
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

// HTTP statuses for refusals the transport answers itself, before anything executes.
const httpStatus: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
};

export function graphqlError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export const unauthenticated = (message = 'authentication required') => graphqlError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = 'not allowed') => graphqlError(ErrorCode.FORBIDDEN, message);
export const notFound = (message = 'not found') => graphqlError(ErrorCode.NOT_FOUND, message);
/**
 * `Query.conversation`'s refusal, whichever subgraph answers it (users or messages): a conversation that does not
 * exist and one the caller is not in give this same answer, so a non-member cannot probe which ids exist.
 */
export const conversationNotFound = () => notFound('conversation not found');
export const conflict = (message: string) => graphqlError(ErrorCode.CONFLICT, message);
export const badUserInput = (message: string, field?: string) =>
  graphqlError(ErrorCode.BAD_USER_INPUT, message, field === undefined ? {} : { field });
export const payloadTooLarge = (message: string) => graphqlError(ErrorCode.PAYLOAD_TOO_LARGE, message);
export const rateLimited = (message = 'too many requests', retryAfterSeconds?: number) =>
  graphqlError(ErrorCode.RATE_LIMITED, message, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });

export const unavailable = (message: string) => graphqlError(ErrorCode.UNAVAILABLE, message);

/** The error's code when it carries one of ours. */
export function errorCode(error: unknown): ErrorCode | undefined {
  const code = error instanceof GraphQLError ? error.extensions.code : undefined;
  return typeof code === 'string' && (Object.values(ErrorCode) as string[]).includes(code) ? (code as ErrorCode) : undefined;
}

/** HTTP status a transport should answer with when this code ends a request before execution. */
export function httpStatusFor(code: ErrorCode): number {
  return httpStatus[code] ?? (code === ErrorCode.INTERNAL_SERVER_ERROR ? 500 : 400);
}

/** A complete GraphQL response body holding one error, for refusals that happen outside Apollo. */
export function errorResponseBody(code: ErrorCode, message: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code } }] });
}

/** The calling user, or UNAUTHENTICATED (anonymous callers and service identities are not users). */
export function requireUser(identity: Identity | null): UserIdentity {
  if (identity?.kind !== 'user') throw unauthenticated();
  return identity;
}
