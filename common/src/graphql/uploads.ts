import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { GraphQLError, GraphQLScalarType } from 'graphql';
import { Upload as PendingUpload, processRequest } from 'graphql-upload-minimal';
import { ErrorCode, badUserInput, graphqlError, payloadTooLarge } from './errors';

export interface UploadOptions {
  /** Largest accepted file, in bytes; a bigger one fails with PAYLOAD_TOO_LARGE while it streams. */
  maxFileSize: number;
  /** Files per request (default 1). */
  maxFiles?: number;
}

/** What an `Upload!` argument resolves to. The content is a stream: it is never buffered whole. */
export interface FileUpload {
  filename: string;
  mimetype: string;
  encoding: string;
  /** The content; callable once. It errors with PAYLOAD_TOO_LARGE as soon as the file passes the size limit. */
  createReadStream(): Readable;
}

/**
 * The `Upload` scalar for subgraphs that take files (GraphQL multipart request spec). An argument of this
 * type arrives in the resolver as `Promise<FileUpload>`.
 */
export const UploadScalar = new GraphQLScalarType<Promise<FileUpload>, never>({
  name: 'Upload',
  description: 'A file sent as a multipart request (GraphQL multipart request spec).',
  parseValue(value) {
    if (value instanceof PendingUpload) return value.promise as Promise<FileUpload>;
    throw badUserInput('Upload values must be sent as files in a multipart request');
  },
  parseLiteral() {
    throw badUserInput('Upload values cannot be written inline in the query');
  },
  serialize() {
    throw new GraphQLError('Upload cannot be returned');
  },
});

export function isMultipartRequest(req: IncomingMessage): boolean {
  return /^multipart\/form-data\s*;/i.test(req.headers['content-type'] ?? '');
}

/** The library's errors carry an HTTP status; anything it refuses is the client's fault except a 500. */
function fromLibraryError(error: unknown): GraphQLError {
  const status = (error as { status?: unknown }).status;
  const message = error instanceof Error ? error.message : String(error);
  if (status === 413) return payloadTooLarge(message);
  return graphqlError(status === 500 ? ErrorCode.INTERNAL_SERVER_ERROR : ErrorCode.BAD_REQUEST, message);
}

function findUploads(value: unknown, found: PendingUpload[] = []): PendingUpload[] {
  if (value instanceof PendingUpload) found.push(value);
  else if (Array.isArray(value)) for (const item of value) findUploads(item, found);
  else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) findUploads(item, found);
  return found;
}

export interface MultipartBody {
  /** The `operations` field, with a pending upload wherever the `map` field placed a file. */
  body: unknown;
  /**
   * Call once the response is ready: reads and discards whatever no resolver consumed, so the request body
   * is read to its end (a partly read upload would otherwise stall the connection).
   */
  drain(): void;
}

/**
 * Parses a multipart GraphQL request off the raw request, leaving each file a stream. Throws a GraphQLError
 * (BAD_REQUEST or PAYLOAD_TOO_LARGE) for a malformed request or oversize `operations`.
 */
export async function parseMultipartRequest(
  req: IncomingMessage,
  res: ServerResponse,
  options: UploadOptions & { maxFieldSize: number },
): Promise<MultipartBody> {
  const limit = options.maxFileSize;
  let body: unknown;
  try {
    // No file size limit here: the library only reports it through a flag and an error thrown later,
    // which races with the resolver taking the stream. The guarded stream below counts instead.
    body = await processRequest(req, res, { maxFiles: options.maxFiles ?? 1, maxFieldSize: options.maxFieldSize });
  } catch (error) {
    throw fromLibraryError(error);
  }

  const sources: Readable[] = [];
  let draining = false;
  const discard = (source: Readable) => {
    source.unpipe();
    source.resume();
  };

  for (const upload of findUploads(body)) {
    // The scalar hands this promise to the resolver, so replacing it puts the guarded file in its place.
    const pending = upload as { promise: Promise<unknown> };
    pending.promise = upload.promise.then(
      (file) => {
        let source: Readable;
        try {
          source = file.createReadStream();
        } catch (error) {
          throw fromLibraryError(error);
        }
        sources.push(source);
        if (draining) discard(source);
        let taken = false;
        const guarded: FileUpload = {
          filename: file.filename,
          mimetype: file.mimetype,
          encoding: file.encoding,
          createReadStream() {
            // One file given to two fields (two variables mapped to one part, or one variable used twice): its bytes
            // can be read once, so the second field is refused as the client's error.
            if (taken) throw badUserInput('a file can be given to one field only: map it to one variable, used once', 'file');
            taken = true;
            let size = 0;
            const out = new Transform({
              transform(chunk: Buffer, _encoding, callback) {
                size += chunk.length;
                if (size > limit) callback(payloadTooLarge(`file exceeds the ${limit} byte limit`));
                else callback(null, chunk);
              },
            });
            // The rest of an oversize or abandoned file still has to be read off the request.
            out.once('error', () => discard(source));
            source.once('error', (error) => out.destroy(fromLibraryError(error)));
            source.pipe(out);
            return out;
          },
        };
        return guarded;
      },
      (error: unknown) => {
        throw fromLibraryError(error);
      },
    );
    // A rejection nobody awaits (the operation failed before using the file) must not crash the process.
    pending.promise.catch(() => undefined);
  }

  return {
    body,
    drain() {
      draining = true;
      for (const source of sources) discard(source);
    },
  };
}
