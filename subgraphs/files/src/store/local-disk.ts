import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PutMeter } from './meter';
import { BlobNotFoundError, MAX_PRESIGN_TTL_SECONDS } from './port';
import type { BlobStat, BlobStore, PutOptions, PutResult } from './port';
import { blobUrlPath, checkUrlSecret, signBlobUrl, type UrlSecret } from './signed-blobs';

/** Same limits as S3: keys of at most 1024 UTF-8 bytes, presigned URLs of at most seven days (MAX_PRESIGN_TTL_SECONDS). */
const MAX_KEY_BYTES = 1024;
/** The header holds a key and a content type; anything larger is not a file this store wrote. */
const MAX_HEADER_BYTES = 64 * 1024;
const HEADER_LENGTH_BYTES = 4;

export interface LocalDiskBlobStoreOptions {
  /** The folder that holds everything (created when missing). One running process owns it. */
  dataDir: string;
  /** Where clients reach the files service, e.g. `http://127.0.0.1:4003`; presigned URLs point under `/blobs/`. */
  publicBaseUrl: string;
  /** Signs download URLs; `serveSignedBlobs` must be given the same one. At least 32 bytes. */
  urlSecret: UrlSecret;
}

interface BlobHeader {
  v: 1;
  key: string;
  contentType: string;
}

function encodeHeader(header: BlobHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  if (json.length > MAX_HEADER_BYTES) throw new RangeError(`content type of "${header.key}" is too long`);
  const length = Buffer.alloc(HEADER_LENGTH_BYTES);
  length.writeUInt32BE(json.length);
  return Buffer.concat([length, json]);
}

/** Reads the header at the start of a blob file; returns it with the offset where the content starts. */
async function readHeader(file: FileHandle, where: string): Promise<{ header: BlobHeader; contentStart: number }> {
  const length = Buffer.alloc(HEADER_LENGTH_BYTES);
  const { bytesRead } = await file.read(length, 0, HEADER_LENGTH_BYTES, 0);
  const jsonLength = bytesRead === HEADER_LENGTH_BYTES ? length.readUInt32BE() : -1;
  if (jsonLength < 0 || jsonLength > MAX_HEADER_BYTES) throw new Error(`${where} is not a blob file (bad header)`);
  const json = Buffer.alloc(jsonLength);
  const read = await file.read(json, 0, jsonLength, HEADER_LENGTH_BYTES);
  if (read.bytesRead !== jsonLength) throw new Error(`${where} is not a blob file (short header)`);
  const header = JSON.parse(json.toString('utf8')) as BlobHeader;
  if (header.v !== 1 || typeof header.key !== 'string' || typeof header.contentType !== 'string') {
    throw new Error(`${where} is not a blob file (unknown header)`);
  }
  return { header, contentStart: HEADER_LENGTH_BYTES + jsonLength };
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/** Flushes a file or folder to disk, so a rename that follows survives a crash with the bytes it names. */
async function syncPath(target: string): Promise<void> {
  const handle = await open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Blobs as files in a data folder, for running without S3. A file's name is the SHA-256 of its key
 * (`blobs/<2 hex>/<64 hex>`), so no key (`../x`, absolute paths, NUL bytes, very long names) can name anything outside
 * the folder or collide with another key's folder; the key and content type sit in a small header in front of the
 * content, so one atomic rename publishes a whole blob. Uploads stream into `tmp/` (size, SHA-256 and the limit
 * measured on the way, as S3BlobStore does) and are renamed into place only when complete; a refused or failed upload
 * leaves nothing. Nothing is cached in memory.
 */
export class LocalDiskBlobStore implements BlobStore {
  private readonly blobsDir: string;
  private readonly tmpDir: string;
  private readonly publicBaseUrl: string;

  private constructor(private readonly options: LocalDiskBlobStoreOptions) {
    const root = path.resolve(options.dataDir);
    this.blobsDir = path.join(root, 'blobs');
    this.tmpDir = path.join(root, 'tmp');
    this.publicBaseUrl = options.publicBaseUrl.replace(/\/+$/, '');
  }

  /** Creates the folders when missing and removes uploads a previous run left unfinished. */
  static async open(options: LocalDiskBlobStoreOptions): Promise<LocalDiskBlobStore> {
    checkUrlSecret(options.urlSecret);
    new URL(options.publicBaseUrl); // throws on a malformed base URL now rather than in every presigned URL
    const store = new LocalDiskBlobStore(options);
    await mkdir(store.blobsDir, { recursive: true });
    await mkdir(store.tmpDir, { recursive: true });
    // Only this process writes here, so anything in tmp/ is from a run that stopped mid-upload.
    for (const leftover of await readdir(store.tmpDir)) await rm(path.join(store.tmpDir, leftover), { force: true });
    return store;
  }

  /** The file that holds `key`'s blob: a digest, so it is always inside the blobs folder whatever the key. */
  private pathOf(key: string): string {
    if (key.length === 0 || Buffer.byteLength(key) > MAX_KEY_BYTES) {
      throw new RangeError(`a key must have 1 to ${MAX_KEY_BYTES} bytes`);
    }
    const digest = createHash('sha256').update(key).digest('hex');
    return path.join(this.blobsDir, digest.slice(0, 2), digest);
  }

  async put(key: string, body: Readable, { contentType, maxBytes }: PutOptions): Promise<PutResult> {
    const target = this.pathOf(key);
    const header = encodeHeader({ v: 1, key, contentType });
    const meter = new PutMeter(key, maxBytes);
    const partial = path.join(this.tmpDir, `${randomUUID()}.part`);
    try {
      await pipeline(
        body,
        async function* (source: AsyncIterable<Buffer | string>) {
          yield header;
          // Throwing past maxBytes ends the pipeline, which destroys the source: the sender stops here too.
          for await (const chunk of source) yield meter.take(chunk);
        },
        createWriteStream(partial, { flags: 'wx' }),
      );
      await syncPath(partial);
      await mkdir(path.dirname(target), { recursive: true });
      await rename(partial, target);
      await syncPath(path.dirname(target));
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return meter.result();
  }

  async get(key: string): Promise<Readable> {
    const file = await this.openBlob(key);
    try {
      const { contentStart } = await this.checkedHeader(file, key);
      // The open handle keeps the bytes readable even if the blob is deleted or replaced meanwhile.
      return file.createReadStream({ start: contentStart });
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  async stat(key: string): Promise<BlobStat> {
    const file = await this.openBlob(key);
    try {
      const { header, contentStart } = await this.checkedHeader(file, key);
      const stats = await file.stat();
      return { size: stats.size - contentStart, contentType: header.contentType, lastModified: new Date(stats.mtimeMs) };
    } finally {
      await file.close();
    }
  }

  async presignGet(key: string, ttlSeconds: number): Promise<string> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_PRESIGN_TTL_SECONDS) {
      throw new RangeError(`ttlSeconds must be an integer between 1 and ${MAX_PRESIGN_TTL_SECONDS}`);
    }
    this.pathOf(key); // the same key rules as every other call
    const expires = Math.floor(Date.now() / 1000) + ttlSeconds;
    const signature = signBlobUrl(this.options.urlSecret, key, expires);
    return `${this.publicBaseUrl}${blobUrlPath(key)}?expires=${expires}&signature=${signature}`;
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** The header, after making sure the file is `key`'s (a digest collision would otherwise serve another blob). */
  private async checkedHeader(file: FileHandle, key: string): Promise<{ header: BlobHeader; contentStart: number }> {
    const read = await readHeader(file, key);
    if (read.header.key !== key) throw new Error(`the file for "${key}" holds "${read.header.key}"`);
    return read;
  }

  private async openBlob(key: string): Promise<FileHandle> {
    try {
      return await open(this.pathOf(key), 'r');
    } catch (error) {
      if (isMissing(error)) throw new BlobNotFoundError(key);
      throw error;
    }
  }
}
