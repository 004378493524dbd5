import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { request, type Dispatcher } from 'undici';
import { PlatformError, isRetriableStatus } from './errors';

export interface PostJsonOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Turns an error answer's body into a reason a person can act on (platforms wrap errors in their own JSON). */
  describeError?: (status: number, body: unknown) => string | undefined;
  /** The most of an answer read (`PLATFORM_ANSWER_MAX_BYTES` by default); a longer one is not JSON we can use. */
  maxAnswerBytes?: number;
}

/** A platform's answer to a send is a few hundred bytes; this bounds what a wrong or broken endpoint can make us hold. */
export const PLATFORM_ANSWER_MAX_BYTES = 1024 * 1024;

/**
 * POSTs JSON and returns the parsed JSON answer. Every failure is a `PlatformError`: network errors and timeouts are
 * retriable, an HTTP error is retriable or not by its status (see `isRetriableStatus`).
 */
export async function postJson(url: string, body: unknown, options: PostJsonOptions): Promise<unknown> {
  let status: number;
  let answer: { text: string; whole: boolean };
  try {
    // undici's request on the shared keep-alive pool, not fetch(): fetch builds WHATWG Request, Response and
    // AbortSignal objects per call, which was most of a connector's CPU per message.
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify(body),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    status = response.statusCode;
    answer = await readAtMost(response.body, answerLimit(options)).catch(() => ({ text: '', whole: true }));
  } catch (error) {
    const reason = isTimeout(error) ? `no answer within ${options.timeoutMs} ms` : describeCause(error);
    throw new PlatformError(`request to ${new URL(url).host} failed: ${reason}`, true, undefined, { cause: error });
  }
  const { text, whole } = answer;
  let parsed: unknown = undefined;
  try {
    parsed = text === '' || !whole ? undefined : JSON.parse(text);
  } catch {
    // Not JSON: the status decides, the text is kept for the reason.
  }
  if (status < 200 || status > 299) {
    const detail = options.describeError?.(status, parsed) ?? (text.slice(0, 200) || STATUS_CODES[status] || 'no reason given');
    throw new PlatformError(`HTTP ${status}: ${detail}`, isRetriableStatus(status), status);
  }
  if (!whole) throw new PlatformError(`HTTP ${status} with an answer over ${answerLimit(options)} bytes`, true, status);
  if (parsed === undefined) throw new PlatformError(`HTTP ${status} without a JSON body`, true, status);
  return parsed;
}

function answerLimit(options: PostJsonOptions): number {
  return options.maxAnswerBytes ?? PLATFORM_ANSWER_MAX_BYTES;
}

/** An answer's text up to `maxBytes`; past that the rest is not read (the connection is dropped) and `whole` is false. */
async function readAtMost(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<{ text: string; whole: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let whole = true;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const room = maxBytes - size;
      size += chunk.length;
      if (size > maxBytes) {
        chunks.push(chunk.subarray(0, room)); // what fits still gives an error answer's reason
        whole = false;
        break; // leaving the loop destroys the body
      }
      chunks.push(chunk);
    }
  } catch (error) {
    // undici reports the destruction of an unfinished body as an abort: only the body's own failure is one.
    if (whole) throw error;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), whole };
}

/** undici's timeouts: connecting, waiting for the answer's headers, or between two chunks of its body. */
function isTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
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
export function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
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

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
