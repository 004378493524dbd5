import { Readable } from 'node:stream';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { errorCode, ErrorCode, unauthenticated } from '@chat4all/common';
import { GraphQLError } from 'graphql';
import type { Dispatcher } from 'undici';
import type { GatewayContext } from '../context';
import { applyIdentityHeaders, SubgraphDataSource, type SubgraphDataSourceOptions } from '../subgraphs/data-source';
import { extractUploads, findUploads, outgoingMultipart, payloadTooLarge } from './outgoing';

type GatewayResponse = Awaited<ReturnType<SubgraphDataSource['process']>>;

export interface UploadingDataSourceOptions extends SubgraphDataSourceOptions {
  dispatcher: Dispatcher;
  maxFileBytes: number;
  /** How long the subgraph may take to answer once the whole file has been sent. */
  timeoutMs: number;
  /** Longest pause in the client's bytes while they are forwarded (UPLOAD_IDLE_TIMEOUT_MS). */
  idleTimeoutMs: number;
}

/**
 * The parts of `source` as they come, refused with BAD_REQUEST when the next takes longer than `idleMs`: a client that
 * stalls its file would otherwise hold the request to the subgraph, and a connection of the pool, open for good.
 */
async function* idleLimited(source: AsyncGenerator<Buffer>, idleMs: number): AsyncGenerator<Buffer> {
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GraphQLError(`the upload stalled: no bytes for ${idleMs} ms`, { extensions: { code: ErrorCode.BAD_REQUEST } })), idleMs);
    });
    let next: IteratorResult<Buffer>;
    try {
      next = await Promise.race([source.next(), stalled]);
    } finally {
      // Only the client's pause counts: not the time the subgraph takes to read what was yielded.
      clearTimeout(timer);
    }
    if (next.done) return;
    yield next.value;
  }
}

function codeForStatus(status: number): string {
  if (status === 401) return ErrorCode.UNAUTHENTICATED;
  if (status === 403) return ErrorCode.FORBIDDEN;
  if (status === 413) return ErrorCode.PAYLOAD_TOO_LARGE;
  return ErrorCode.INTERNAL_SERVER_ERROR;
}

/**
 * The data source of every subgraph (only `files` takes an Upload today).
 *
 * How an upload gets through: the gateway's HTTP transport (the shared node-http adapter with
 * uploads on) parses only the `operations` and `map` fields of the client's multipart request and
 * leaves every file in the request stream, represented in the variables by graphql-upload-minimal's
 * `Upload` placeholder. The query planner passes those variables through untouched. Apollo's
 * RemoteGraphQLDataSource would JSON-encode them (a file becomes `{}`), so when a subgraph fetch
 * carries an `Upload`, this data source re-emits a GraphQL multipart request instead: `operations`
 * with the subgraph query and variables the plan produced, its own `map`, then the file parts,
 * each piped from the client's stream into the subgraph request as it arrives (uploads/outgoing.ts).
 * No file is buffered; the size limit is enforced while streaming, by the shared upload guard.
 */
export class UploadingDataSource extends SubgraphDataSource {
  private readonly dispatcher: Dispatcher;
  private readonly maxFileBytes: number;
  private readonly timeoutMs: number;
  private readonly idleTimeoutMs: number;

  constructor(options: UploadingDataSourceOptions) {
    super(options);
    this.dispatcher = options.dispatcher;
    this.maxFileBytes = options.maxFileBytes;
    this.timeoutMs = options.timeoutMs;
    this.idleTimeoutMs = options.idleTimeoutMs;
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayResponse> {
    // Files come only in the client's own (multipart) request: when its variables hold none (walked cheaply: a client's
    // variables are small, where a fetch's may hold a page's worth of representations), no fetch of it carries one.
    const requestUploads = 'incomingRequestContext' in options ? findUploads(options.incomingRequestContext.request.variables) : undefined;
    if (!requestUploads || requestUploads.size === 0) return super.process(options);
    const { request, context } = options;
    // One walk of this fetch's variables both tells whether it carries a file and takes the files out.
    const { variables, paths } = extractUploads(request.variables);
    if (paths.size === 0) return super.process(options);
    if (!request.query) throw new Error('Missing query');
    // Every upload needs a user, and the files service says so only once it has read the whole request: refused here,
    // before the request is opened, an anonymous client cannot hold the pool's connections to it by stalling its file.
    if (!(context as Partial<GatewayContext> | undefined)?.identity) throw unauthenticated('sign in to upload a file');

    const multipart = outgoingMultipart({ query: request.query, operationName: request.operationName, variables }, paths, requestUploads);

    const headers = new Headers();
    for (const [name, value] of request.http?.headers ?? []) headers.set(name, value);
    applyIdentityHeaders(headers, (context as Partial<GatewayContext> | undefined)?.identity, this.identityKey);
    headers.set('content-type', multipart.contentType);
    // The subgraph's CSRF prevention refuses multipart requests without it.
    headers.set('apollo-require-preflight', 'true');

    // undici's headers timeout would run while the file is still streaming; ours starts once the body is sent.
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let bodyError: unknown;
    const { timeoutMs, idleTimeoutMs } = this;
    const body = Readable.from(
      (async function* () {
        try {
          yield* idleLimited(multipart.body, idleTimeoutMs);
        } catch (error) {
          bodyError = error;
          throw error;
        }
        timer = setTimeout(() => abort.abort(new Error(`the subgraph did not answer within ${timeoutMs} ms after the upload`)), timeoutMs);
      })(),
      { objectMode: false },
    );

    const target = new URL(this.url);
    try {
      const response = await this.dispatcher
        .request({
          origin: target.origin,
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          headers: Object.fromEntries(headers),
          body,
          signal: abort.signal,
          headersTimeout: 0,
        })
        // No answer: the subgraph's fault unless the client's body broke first (then that cause is thrown below).
        .catch((error: unknown) => {
          throw bodyError === undefined ? this.unavailable(error) : error;
        });
      const text = await response.body.text();
      if (String(response.headers['content-type'] ?? '').includes('json')) {
        const parsed = JSON.parse(text) as GatewayResponse;
        // A GraphQL error body (e.g. 400 or 401 from the subgraph) keeps the subgraph's own error codes.
        if (response.statusCode < 300 || Array.isArray(parsed.errors)) return parsed;
      }
      // The status and a code for the client; what the subgraph said (it may name internal addresses) for the log.
      this.log?.warn({ subgraph: this.name, status: response.statusCode, body: text.slice(0, 500) }, 'subgraph refused an upload');
      throw new GraphQLError(`${response.statusCode}: the subgraph refused the upload`, { extensions: { code: codeForStatus(response.statusCode) } });
    } catch (error) {
      // What broke the outgoing body (the size limit, a missing part, the client leaving) says more than undici's abort.
      const cause = bodyError ?? error;
      if (errorCode(cause) === ErrorCode.PAYLOAD_TOO_LARGE) throw payloadTooLarge(this.maxFileBytes);
      throw cause;
    } finally {
      clearTimeout(timer);
      body.destroy();
    }
  }
}
