import type http from 'node:http';
import { PlatformError, isRetriableStatus } from './errors';

export interface PostJsonOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Turns an error answer's body into a reason a person can act on (platforms wrap errors in their own JSON). */
  describeError?: (status: number, body: unknown) => string | undefined;
}

/**
 * POSTs JSON and returns the parsed JSON answer. Every failure is a `PlatformError`: network errors and timeouts are
 * retriable, an HTTP error is retriable or not by its status (see `isRetriableStatus`).
 */
export async function postJson(url: string, body: unknown, options: PostJsonOptions): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : describeCause(error);
    throw new PlatformError(`request to ${new URL(url).host} failed: ${reason}`, true, undefined, { cause: error });
  }
  const text = await response.text().catch(() => '');
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON: the status decides, the text is kept for the reason.
  }
  if (!response.ok) {
    const detail = options.describeError?.(response.status, parsed) ?? (text.slice(0, 200) || response.statusText);
    throw new PlatformError(`HTTP ${response.status}: ${detail}`, isRetriableStatus(response.status), response.status);
  }
  if (parsed === undefined) throw new PlatformError(`HTTP ${response.status} without a JSON body`, true, response.status);
  return parsed;
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads a request's raw bytes, refusing (without buffering the rest) a body larger than `maxBytes`. */
export function readRawBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      reject(new BodyTooLargeError(maxBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

export function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
