import { signIdentity } from '@chat4all/common';
import type { LoadAuth } from './spec';

const RESIGN_MS = 5_000;

/** The headers of each request: fixed for a bearer token, re-signed every few seconds for signed identity (it expires). */
export function authHeaders(auth: LoadAuth): () => Record<string, string> {
  if (auth.kind === 'none') return () => ({});
  if (auth.kind === 'bearer') {
    const headers = { authorization: `Bearer ${auth.token}` };
    return () => headers;
  }
  let signedAt = 0;
  let headers: Record<string, string> = {};
  return () => {
    const now = Date.now();
    if (now - signedAt > RESIGN_MS) {
      headers = signIdentity({ userId: auth.userId, username: auth.username }, auth.key, now);
      signedAt = now;
    }
    return headers;
  };
}
