import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { newUuidV7 } from '@chat4all/common';
import { BlobNotFoundError, BlobTooLargeError } from './port';
import type { BlobStore, FileRecord, FileRecordStore } from './port';

export interface BlobStoreHarness {
  store: BlobStore;
  close?: () => Promise<void>;
}

const MiB = 1024 * 1024;

/** Random bytes made chunk by chunk as they are read, with their digest computed on the side. */
class GeneratedStream extends Readable {
  produced = 0;
  private readonly hash = createHash('sha256');

  constructor(
    readonly total: number,
    private readonly chunkSize = 64 * 1024,
  ) {
    super();
  }

  override _read(): void {
    if (this.produced >= this.total) {
      this.push(null);
      return;
    }
    const chunk = randomBytes(Math.min(this.chunkSize, this.total - this.produced));
    this.produced += chunk.length;
    this.hash.update(chunk);
    this.push(chunk);
  }

  /** Valid once the stream has ended. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}

async function digestOf(stream: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    hash.update(chunk);
  }
  return { size, sha256: hash.digest('hex') };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Behaviour every BlobStore adapter must show. Each test uses its own fresh key, so the suite can run
 * again on the same store without cleanup.
 */
export function describeBlobStoreContract(name: string, setup: () => Promise<BlobStoreHarness>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let harness: BlobStoreHarness;
    let store: BlobStore;
    const freshKey = (label: string): string => `contract/${randomUUID()}/${label}`;

    beforeAll(async () => {
      harness = await setup();
      store = harness.store;
    });
    afterAll(async () => {
      await harness?.close?.();
    });

    it('streams several MB in and gets the same bytes back', async () => {
      const key = freshKey('large.bin');
      const source = new GeneratedStream(12 * MiB + 12345);
      const put = await store.put(key, source, { contentType: 'application/octet-stream', maxBytes: 64 * MiB });
      const expected = source.sha256();

      expect(put).toEqual({ size: source.total, sha256: expected });
      expect(await digestOf(await store.get(key))).toEqual({ size: source.total, sha256: expected });
      await store.delete(key); // keeps repeated runs from piling up megabytes
    }, 120_000);

    it('stores a small object in one piece, with its content type', async () => {
      const key = freshKey('note.txt');
      const text = `hello ${randomUUID()}`;
      const put = await store.put(key, Readable.from([Buffer.from(text)]), { contentType: 'text/plain', maxBytes: 1024 });

      expect(put).toEqual({ size: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') });
      expect((await readAll(await store.get(key))).toString()).toBe(text);
      const stat = await store.stat(key);
      expect(stat.size).toBe(Buffer.byteLength(text));
      expect(stat.contentType).toBe('text/plain');
      expect(stat.lastModified).toBeInstanceOf(Date);
      expect(Math.abs(stat.lastModified.getTime() - Date.now())).toBeLessThan(5 * 60_000);
    });

    it('stores an empty object', async () => {
      const key = freshKey('empty');
      const put = await store.put(key, Readable.from([]), { contentType: 'application/octet-stream', maxBytes: 10 });
      expect(put).toEqual({ size: 0, sha256: createHash('sha256').digest('hex') });
      expect((await readAll(await store.get(key))).length).toBe(0);
    });

    it('accepts an object of exactly maxBytes', async () => {
      const key = freshKey('exact.bin');
      const source = new GeneratedStream(MiB);
      const put = await store.put(key, source, { contentType: 'application/octet-stream', maxBytes: MiB });
      expect(put.size).toBe(MiB);
      expect((await store.stat(key)).size).toBe(MiB);
      await store.delete(key);
    });

    // One limit below any sensible part size, one above it, so both upload paths are covered.
    it.each([1 * MiB, 9 * MiB])('stops reading at a %d byte limit and leaves no object', async (maxBytes) => {
      const key = freshKey('too-large.bin');
      const source = new GeneratedStream(64 * MiB);

      await expect(store.put(key, source, { contentType: 'application/octet-stream', maxBytes })).rejects.toBeInstanceOf(
        BlobTooLargeError,
      );
      // The limit bit while streaming: far less than the whole source was ever generated.
      expect(source.produced).toBeGreaterThan(maxBytes);
      expect(source.produced).toBeLessThan(maxBytes + MiB);
      await expect(store.stat(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
    }, 60_000);

    it('hands out a presigned URL that a plain GET can use until it expires', async () => {
      const key = freshKey('shared.txt');
      const text = `shared ${randomUUID()}`;
      await store.put(key, Readable.from([Buffer.from(text)]), { contentType: 'text/plain', maxBytes: 1024 });

      const url = await store.presignGet(key, 2);
      const fresh = await fetch(url);
      expect(fresh.status).toBe(200);
      expect(await fresh.text()).toBe(text);
      expect(fresh.headers.get('content-type')).toBe('text/plain');

      // Signing dates have one-second resolution, so wait comfortably past the two seconds.
      await sleep(4_000);
      const expired = await fetch(url);
      await expired.arrayBuffer();
      expect(expired.status).toBe(403);
    }, 20_000);

    it('does not presign a URL that lives less than a second', async () => {
      await expect(store.presignGet(freshKey('x'), 0)).rejects.toBeInstanceOf(RangeError);
    });

    it('reports a missing key as BlobNotFoundError', async () => {
      const key = freshKey('missing');
      await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.stat(key)).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('deletes, and deleting again is fine', async () => {
      const key = freshKey('doomed.txt');
      await store.put(key, Readable.from([Buffer.from('bye')]), { contentType: 'text/plain', maxBytes: 1024 });
      expect((await store.stat(key)).size).toBe(3);

      await store.delete(key);
      await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.stat(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.delete(key)).resolves.toBeUndefined();
    });
  });
}

export interface FileRecordStoreHarness {
  records: FileRecordStore;
  close?: () => Promise<void>;
}

/** Behaviour every FileRecordStore must show; fresh ids per test, so it re-runs on the same store. */
export function describeFileRecordStoreContract(name: string, setup: () => Promise<FileRecordStoreHarness>): void {
  describe(`FileRecordStore contract: ${name}`, () => {
    let harness: FileRecordStoreHarness;
    let records: FileRecordStore;
    const freshRecord = (extra: Partial<FileRecord> = {}): FileRecord => ({
      id: newUuidV7(),
      filename: 'report – März.pdf',
      contentType: 'application/pdf',
      size: 12345,
      sha256: createHash('sha256').update(randomUUID()).digest('hex'),
      ownerId: `user-${randomUUID()}`,
      createdAt: new Date(Math.floor(Date.now() / 1000) * 1000 + 123),
      ...extra,
    });

    beforeAll(async () => {
      harness = await setup();
      records = harness.records;
    });
    afterAll(async () => {
      await harness?.close?.();
    });

    it('gives back exactly what was saved', async () => {
      const record = freshRecord();
      await records.save(record);
      expect(await records.getMany([record.id])).toEqual([record]);
    });

    it('answers many ids in request order, with null for the missing and repeats answered alike', async () => {
      const a = freshRecord({ size: 0, contentType: 'text/plain' });
      const b = freshRecord({ size: 2 ** 40 });
      await Promise.all([records.save(a), records.save(b)]);
      const missing = newUuidV7();
      expect(await records.getMany([b.id, missing, a.id, b.id])).toEqual([b, null, a, b]);
      expect(await records.getMany([])).toEqual([]);
    });

    it('reads a larger batch in one call', async () => {
      const saved = Array.from({ length: 40 }, () => freshRecord());
      await Promise.all(saved.map((record) => records.save(record)));
      const found = await records.getMany(saved.map((record) => record.id));
      expect(found).toEqual(saved);
    });
  });
}
