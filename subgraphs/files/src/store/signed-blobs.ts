import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { RequestHandler } from '@chat4all/common';
import { BlobNotFoundError } from './port';
import type { BlobStore } from './port';

/** The path prefix under which the files service itself serves presigned downloads (embedded storage only). */
export const SIGNED_BLOBS_PREFIX = '/blobs/';
/** HMAC-SHA256 wants a key at least as long as its output to be worth its 256 bits. */
const MIN_SECRET_BYTES = 32;
/** Domain separation: a signature made for a blob URL is good for nothing else signed with the same secret. */
const SIGNING_CONTEXT = 'chat4all-blob-url.v1';

export type UrlSecret = string | Buffer;

export function checkUrlSecret(secret: UrlSecret): void {
  if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) throw new RangeError(`the URL signing secret must be at least ${MIN_SECRET_BYTES} bytes`);
}

/** Lower-case hex HMAC-SHA256 over the key and the expiry (unix seconds); the expiry has no newline, so the split is unambiguous. */
export function signBlobUrl(secret: UrlSecret, key: string, expires: number): string {
  return createHmac('sha256', secret).update(`${SIGNING_CONTEXT}\n${key}\n${expires}`).digest('hex');
}

/**
 * `/blobs/<key>` with each key segment percent-encoded, so the path reads like the key. Segments `.` and `..` would be
 * folded away by URL normalization (even percent-encoded), so such keys cannot be addressed and are refused.
 */
export function blobUrlPath(key: string): string {
  const segments = key.split('/');
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    throw new RangeError(`key "${key}" has a "." or ".." segment and cannot be served by URL`);
  }
  return SIGNED_BLOBS_PREFIX + segments.map(encodeURIComponent).join('/');
}

/** The key a raw request path names, or null when it is not a blob path or not valid percent-encoding. */
function keyFromPath(rawPath: string): string | null {
  if (!rawPath.startsWith(SIGNED_BLOBS_PREFIX)) return null;
  try {
    return rawPath.slice(SIGNED_BLOBS_PREFIX.length).split('/').map(decodeURIComponent).join('/');
  } catch {
    return null;
  }
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${message}\n`);
}

function signatureMatches(secret: UrlSecret, key: string, expires: number, given: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(signBlobUrl(secret, key, expires), 'hex'), Buffer.from(given, 'hex'));
}

/**
 * Serves the URLs `presignGet` hands out, `/blobs/<key>?expires=<unix seconds>&signature=<hex>`, like S3 does its
 * presigned ones: 403 for a missing or wrong signature and, as S3 answers too, 403 once expired (the signature is checked
 * first, so a forged URL learns nothing about expiry); 404 for a key with no blob; GET and HEAD only. The content is
 * streamed with its length and type. The request path is used raw, never normalized, and the key is only ever compared
 * through the signature, so a path cannot name anything the secret did not sign. `onError` hears read failures (500s and
 * cut transfers), e.g. to log them.
 */
export function serveSignedBlobs(
  store: Pick<BlobStore, 'get' | 'stat'>,
  secret: UrlSecret,
  onError: (error: unknown) => void = () => undefined,
): RequestHandler {
  checkUrlSecret(secret);
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return refuse(res, 405, 'method not allowed');
    }
    const raw = req.url ?? '';
    const queryAt = raw.indexOf('?');
    const key = keyFromPath(queryAt === -1 ? raw : raw.slice(0, queryAt));
    if (key === null) return refuse(res, 404, 'not found');
    const query = new URLSearchParams(queryAt === -1 ? '' : raw.slice(queryAt + 1));
    const expiresText = query.get('expires') ?? '';
    const expires = /^\d{1,12}$/.test(expiresText) ? Number(expiresText) : NaN;
    if (Number.isNaN(expires) || !signatureMatches(secret, key, expires, query.get('signature') ?? '')) {
      return refuse(res, 403, 'signature does not match');
    }
    if (Date.now() > expires * 1000) return refuse(res, 403, 'URL has expired');

    let stat;
    try {
      stat = await store.stat(key);
    } catch (error) {
      if (error instanceof BlobNotFoundError) return refuse(res, 404, 'no such file');
      throw error;
    }
    const headers = {
      'content-type': stat.contentType,
      'content-length': String(stat.size),
      'last-modified': stat.lastModified.toUTCString(),
      // Anyone holding the URL may fetch it until it expires; shared caches must not keep it past that.
      'cache-control': `private, max-age=${Math.max(0, expires - Math.floor(Date.now() / 1000))}`,
    };
    if (req.method === 'HEAD') {
      res.writeHead(200, headers);
      res.end();
      return;
    }
    let body;
    try {
      body = await store.get(key);
    } catch (error) {
      // Deleted between stat and get.
      if (error instanceof BlobNotFoundError) return refuse(res, 404, 'no such file');
      throw error;
    }
    res.writeHead(200, headers);
    await pipeline(body, res);
  };
  return (req, res) => {
    serve(req, res).catch((error: unknown) => {
      onError(error);
      // Before the head is sent a 500 can still be told; after it, only a cut connection says the body is incomplete.
      if (!res.headersSent) refuse(res, 500, 'could not read the file');
      else res.destroy();
    });
  };
}

/** Sends `/blobs/…` to the signed-download handler and everything else to `next` (the GraphQL handler). */
export function routeSignedBlobs(blobs: RequestHandler, next: RequestHandler): RequestHandler {
  return (req, res) => ((req.url ?? '').startsWith(SIGNED_BLOBS_PREFIX) ? blobs(req, res) : next(req, res));
}
