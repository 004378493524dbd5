import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { WebhookRejectedError } from './errors';
import { postJson } from './http';
import { SIGNATURE_HEADER, checkSignature } from './signature';

/**
 * What WhatsApp Cloud API and Instagram's Send API share, being both Meta Graph API products: the error JSON, bearer
 * tokens, webhook signatures (`X-Hub-Signature-256`) and the `hub.challenge` subscription handshake.
 */

/** Graph API error answers: `{ error: { message, type, code, error_subcode?, error_data?, fbtrace_id } }`. */
export interface GraphErrorBody {
  error: { message: string; type: string; code: number; error_subcode?: number; error_data?: Record<string, unknown>; fbtrace_id: string };
}

export function describeGraphError(_status: number, body: unknown): string | undefined {
  const error = (body as Partial<GraphErrorBody> | undefined)?.error;
  if (typeof error?.message !== 'string') return undefined;
  const details = error.error_data?.details;
  return `${error.message} (code ${String(error.code)}${typeof details === 'string' ? `: ${details}` : ''})`;
}

export interface GraphClientOptions {
  /** e.g. `https://graph.facebook.com` or the simulator's `http://127.0.0.1:4021`. */
  baseUrl: string;
  apiVersion: string;
  token: string;
  timeoutMs: number;
}

/** POST `{baseUrl}/{version}/{path}` with the bearer token; errors become `PlatformError`s with the Graph message. */
export function graphPost(options: GraphClientOptions, path: string, body: unknown): Promise<unknown> {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/${options.apiVersion}/${path}`;
  return postJson(url, body, {
    headers: { authorization: `Bearer ${options.token}` },
    timeoutMs: options.timeoutMs,
    describeError: describeGraphError,
  });
}

/** Verifies `X-Hub-Signature-256` over the raw body and parses it; throws `WebhookRejectedError` otherwise. */
export function verifiedJson(appSecret: string, rawBody: Buffer, headers: IncomingHttpHeaders): unknown {
  const check = checkSignature(appSecret, rawBody, headers[SIGNATURE_HEADER]);
  if (check === 'unsigned') throw new WebhookRejectedError('unsigned', `no ${SIGNATURE_HEADER} header`);
  if (check === 'forged') throw new WebhookRejectedError('forged', `${SIGNATURE_HEADER} does not match the body`);
  try {
    return JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookRejectedError('malformed', 'body is not JSON');
  }
}

/**
 * The subscription handshake: Meta calls `GET /webhook?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` and
 * expects the challenge back when the token is ours. Without a configured token every handshake is refused.
 */
export function subscriptionChallenge(query: URLSearchParams, verifyToken: string | undefined): string | null {
  if (verifyToken === undefined || query.get('hub.mode') !== 'subscribe') return null;
  const challenge = query.get('hub.challenge');
  return sameSecret(query.get('hub.verify_token') ?? '', verifyToken) && challenge ? challenge : null;
}

/** Constant-time comparison of two texts of any length (their digests have equal length). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Unix seconds (WhatsApp, as text) or milliseconds (Instagram) → ISO 8601; null when it is not a time. */
export function isoFromUnix(value: unknown, unit: 's' | 'ms'): string | null {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) return null;
  const date = new Date(unit === 's' ? n * 1000 : n);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
