/**
 * A credential was missing, malformed, forged or expired. The message is safe to show to the caller
 * (it never contains the credential); GraphQL layers turn it into an UNAUTHENTICATED error.
 */
export class AuthError extends Error {
  override name = 'AuthError';
}
