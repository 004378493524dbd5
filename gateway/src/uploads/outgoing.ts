import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FileUpload } from '@chat4all/common';
import { GraphQLError } from 'graphql';
import { Upload } from 'graphql-upload-minimal';

/** Every pending upload (graphql-upload-minimal's placeholder) in a variables object, each once. */
export function findUploads(value: unknown, found = new Set<Upload>()): Set<Upload> {
  if (value instanceof Upload) found.add(value);
  else if (Array.isArray(value)) for (const item of value) findUploads(item, found);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) findUploads(item, found);
  return found;
}

/** Replaces every upload in the variables by null and notes where it was (`variables.a.0`), as the multipart spec wants. */
export function extractUploads(variables: Record<string, unknown> | undefined): { variables: Record<string, unknown>; paths: Map<Upload, string[]> } {
  const paths = new Map<Upload, string[]>();
  const walk = (value: unknown, path: string): unknown => {
    if (value instanceof Upload) {
      paths.set(value, [...(paths.get(value) ?? []), path]);
      return null;
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, `${path}.${i}`));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, `${path}.${key}`)]));
    }
    return value;
  };
  return { variables: walk(variables ?? {}, 'variables') as Record<string, unknown>, paths };
}

export function payloadTooLarge(maxBytes: number): GraphQLError {
  return new GraphQLError(`the uploaded file is larger than the limit of ${maxBytes} bytes`, {
    extensions: { code: 'PAYLOAD_TOO_LARGE', http: { status: 413 } },
  });
}

// Header values come from the client: no quote or line break may break out of the parameter.
function quoted(value: string): string {
  return value.replace(/[\r\n]/g, ' ').replace(/"/g, '%22');
}

function settle(upload: Upload): Promise<{ upload: Upload; file?: FileUpload; error?: unknown }> {
  return (upload.promise as Promise<FileUpload>).then(
    (file) => ({ upload, file }),
    (error: unknown) => ({ upload, error }),
  );
}

/**
 * Yields this fetch's files in the order they arrive in the client's request. A multipart body is
 * one stream: part N+1 is only parsed once part N has been read. So the next file to send is
 * whichever upload resolves first; and an upload of the same request that this fetch does not
 * use but that stands in front of ours (its promise resolved, its stream untaken) is read and
 * discarded, or ours would never arrive. Uploads are mutation arguments and mutations run one
 * after another, so a later fetch cannot be waiting for that file.
 */
async function* inArrivalOrder(mine: Upload[], others: Upload[]): AsyncGenerator<{ upload: Upload; file: FileUpload }> {
  const waiting = new Map<Upload, ReturnType<typeof settle>>();
  for (const upload of [...mine, ...others]) waiting.set(upload, settle(upload));
  let remaining = mine.length;
  while (remaining > 0) {
    const next = await Promise.race(waiting.values());
    waiting.delete(next.upload);
    const isMine = mine.includes(next.upload);
    if (next.error !== undefined || !next.file) {
      if (isMine) throw next.error ?? new GraphQLError('a file of the request is missing');
      continue;
    }
    if (isMine) {
      remaining -= 1;
      yield { upload: next.upload, file: next.file };
      continue;
    }
    try {
      // Taken already (an earlier fetch streamed it): nothing to do. Otherwise it blocks ours.
      const stream = next.file.createReadStream();
      stream.on('error', () => undefined);
      stream.resume();
    } catch {
      // createReadStream() throws once the stream was taken.
    }
  }
}

export interface OutgoingMultipart {
  contentType: string;
  body: AsyncGenerator<Buffer>;
}

/**
 * The multipart body for the subgraph: its own `operations` (the query and variables the plan made
 * for it) and `map`, then each file, piped chunk by chunk from the client's request stream. Only a
 * chunk at a time of a file is in memory: while the subgraph reads slower than the client sends,
 * TCP backpressure holds the client back.
 */
export function outgoingMultipart(
  operation: { query: string; operationName?: string | undefined; variables: Record<string, unknown> },
  paths: Map<Upload, string[]>,
  requestUploads: Set<Upload>,
): OutgoingMultipart {
  const boundary = `chat4all-${randomBytes(12).toString('hex')}`;
  const mine = [...paths.keys()];
  const others = [...requestUploads].filter((u) => !paths.has(u));
  const fieldName = new Map(mine.map((upload, i) => [upload, String(i)]));
  const map = Object.fromEntries(mine.map((upload, i) => [String(i), paths.get(upload) ?? []]));
  const field = (name: string, json: unknown): string =>
    `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\ncontent-type: application/json\r\n\r\n${JSON.stringify(json)}\r\n`;

  async function* body(): AsyncGenerator<Buffer> {
    yield Buffer.from(field('operations', operation) + field('map', map));
    for await (const { upload, file } of inArrivalOrder(mine, others)) {
      yield Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${fieldName.get(upload)}"; filename="${quoted(file.filename)}"\r\n` +
          `content-type: ${quoted(file.mimetype)}\r\n\r\n`,
      );
      // The stream errors with PAYLOAD_TOO_LARGE once the file passes the limit (the shared upload guard).
      const stream: Readable = file.createReadStream();
      for await (const chunk of stream) yield chunk as Buffer;
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  }

  return { contentType: `multipart/form-data; boundary=${boundary}`, body: body() };
}
