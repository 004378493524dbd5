import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLResponse } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Logger } from '../logging';
import { requestUrl, type RequestHandler } from '../service';
import { ErrorCode, errorCode, errorResponseBody, graphqlError, httpStatusFor, payloadTooLarge } from './errors';
import { isMultipartRequest, parseMultipartRequest, type UploadOptions } from './uploads';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface GraphQLHttpOptions<C extends BaseContext> {
  server: ApolloServer<C>;
  /**
   * Builds the operation's context. It runs before the body is read, so throwing one of our GraphQLErrors
   * (e.g. `unauthenticated()`) refuses the request before any byte of it is parsed or any resolver runs.
   */
  context(req: IncomingMessage): Promise<C>;
  /** Where GraphQL answers (default `/graphql`); other paths get 404. */
  path?: string;
  /** Largest JSON body (and multipart `operations` field), in bytes. */
  maxBodyBytes?: number;
  /** Accept GraphQL multipart requests (file uploads); without it they are refused. */
  uploads?: UploadOptions;
  log?: Logger;
}

/** A refusal we answer ourselves, in the shape of a GraphQL response so clients parse one format. */
function refuse(res: ServerResponse, code: ErrorCode, message: string, closeConnection = false): void {
  const payload = errorResponseBody(code, message);
  const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) };
  // Unread body left on the socket: closing is cheaper than reading an oversize body to keep the connection.
  if (closeConnection) headers.connection = 'close';
  res.writeHead(httpStatusFor(code), headers);
  res.end(payload);
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => payloadTooLarge(`request body exceeds ${maxBytes} bytes`);
  if (Number(req.headers['content-length']) > maxBytes) return Promise.reject(tooLarge());
  // Listeners rather than async iteration: leaving an iterator early destroys the socket, and with it the 413 answer.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      // The stream keeps flowing without listeners: the rest is discarded while the refusal goes out.
      stop();
      reject(tooLarge());
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onClose = () => {
      stop();
      reject(graphqlError(ErrorCode.BAD_REQUEST, 'request body ended early'));
    };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

function isJson(contentType: string | undefined): boolean {
  const essence = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return essence === 'application/json' || essence === 'application/graphql-response+json';
}

/** The parsed body Apollo expects: JSON for JSON requests; other types reach Apollo bodiless so it refuses them itself. */
function parseJsonBody(raw: Buffer, contentType: string | undefined): unknown {
  if (!isJson(contentType) || raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw graphqlError(ErrorCode.BAD_REQUEST, 'request body is not valid JSON');
  }
}

function headerMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

function requestEnded(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
  });
}

async function writeResponse(res: ServerResponse, response: HTTPGraphQLResponse): Promise<void> {
  res.statusCode = response.status ?? 200;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  // Incremental delivery (@defer): parts are written as Apollo produces them.
  const closed = once(res, 'close').then(() => 'closed' as const);
  for await (const part of response.body.asyncIterator) {
    if (res.destroyed) break;
    if (!res.write(part) && (await Promise.race([once(res, 'drain').then(() => 'drained' as const), closed])) === 'closed') break;
  }
  res.end();
}

/**
 * Serves an Apollo Server on a plain node:http handler (Apollo 5 ships none besides startStandaloneServer):
 * GET and POST on one path, a bounded JSON body, GraphQL multipart uploads when enabled, streamed responses.
 */
export function createGraphQLHttpHandler<C extends BaseContext>(options: GraphQLHttpOptions<C>): RequestHandler {
  const path = options.path ?? '/graphql';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    if (url === null) return refuse(res, ErrorCode.BAD_REQUEST, 'the request target is not a URL path');
    if (url.pathname !== path) return refuse(res, ErrorCode.NOT_FOUND, `no route for ${url.pathname}`);

    let body: unknown;
    let drain: (() => void) | undefined;
    let contextValue: C;
    try {
      contextValue = await options.context(req);
      if (req.method === 'POST' && isMultipartRequest(req) && options.uploads) {
        ({ body, drain } = await parseMultipartRequest(req, res, { ...options.uploads, maxFieldSize: maxBodyBytes }));
      } else if (req.method === 'POST') {
        body = parseJsonBody(await readBody(req, maxBodyBytes), req.headers['content-type']);
      }
    } catch (error) {
      const code = errorCode(error);
      if (!code || !(error instanceof GraphQLError)) throw error;
      return refuse(res, code, error.message, code === ErrorCode.PAYLOAD_TOO_LARGE);
    }

    const response = await options.server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers: headerMap(req), search: url.search, body },
      context: () => Promise.resolve(contextValue),
    });
    if (drain) {
      // Answer only once the upload is read to its end: clients may not read a response while still sending.
      drain();
      await requestEnded(req);
    }
    await writeResponse(res, response);
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log?.error({ err: error }, 'graphql transport failed');
      if (!res.headersSent) refuse(res, ErrorCode.INTERNAL_SERVER_ERROR, 'internal server error', true);
      else res.destroy();
    });
  };
}
