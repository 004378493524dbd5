import { Readable } from 'node:stream';
import { z } from 'zod';
import { BlobNotFoundError } from './port';
import type { BlobStore, FileRecord, FileRecordStore } from './port';
import { metadataKey } from './keys';

/** A metadata object is a few hundred bytes; anything far larger under a metadata key is not ours. */
const MAX_METADATA_BYTES = 64 * 1024;
/** Reads in flight at once for one `getMany` (a page of attachments resolves in one call). */
const DEFAULT_READ_CONCURRENCY = 16;

const StoredRecord = z.object({
  v: z.literal(1),
  id: z.string(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  ownerId: z.string(),
  createdAt: z.iso.datetime(),
});

async function readBounded(stream: Readable, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_METADATA_BYTES) throw new Error(`metadata "${key}" is larger than ${MAX_METADATA_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** Runs `work` over `items` with at most `limit` calls in flight; results in input order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * File records as small JSON objects in the same blob store as the content (`meta/<id>.json`): no second engine to
 * run, and a record exists exactly when its object does. S3 has no multi-get, so `getMany` reads the objects in
 * parallel, boundedly.
 */
export class BlobFileRecordStore implements FileRecordStore {
  constructor(
    private readonly blobs: BlobStore,
    private readonly readConcurrency = DEFAULT_READ_CONCURRENCY,
  ) {}

  async save(record: FileRecord): Promise<void> {
    const stored: z.infer<typeof StoredRecord> = { v: 1, ...record, createdAt: record.createdAt.toISOString() };
    const body = Buffer.from(JSON.stringify(stored));
    await this.blobs.put(metadataKey(record.id), Readable.from([body]), { contentType: 'application/json', maxBytes: MAX_METADATA_BYTES });
  }

  getMany(ids: readonly string[]): Promise<(FileRecord | null)[]> {
    return mapBounded(ids, this.readConcurrency, (id) => this.get(id));
  }

  private async get(id: string): Promise<FileRecord | null> {
    const key = metadataKey(id);
    let raw: Buffer;
    try {
      raw = await readBounded(await this.blobs.get(key), key);
    } catch (error) {
      if (error instanceof BlobNotFoundError) return null;
      throw error;
    }
    const { v: _version, createdAt, ...fields } = StoredRecord.parse(JSON.parse(raw.toString('utf8')));
    if (fields.id !== id) throw new Error(`metadata "${key}" belongs to another id (${fields.id})`);
    return { ...fields, createdAt: new Date(createdAt) };
  }
}
