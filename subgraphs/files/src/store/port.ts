import type { Readable } from 'node:stream';

/** Where uploaded files live: S3-compatible storage in production, local folders in tests later. */
export interface BlobStore {
  /**
   * Streams `body` into the store under `key`. Size and SHA-256 are computed while the bytes pass
   * through; the whole object is never held in memory. When more than `maxBytes` arrive the upload
   * is abandoned with a `BlobTooLargeError` and no object is left under `key`.
   */
  put(key: string, body: Readable, options: PutOptions): Promise<PutResult>;
  /** The object's bytes as a stream; `BlobNotFoundError` when there is no object under `key`. */
  get(key: string): Promise<Readable>;
  /** Size, type and time of the object; `BlobNotFoundError` when there is none. */
  stat(key: string): Promise<BlobStat>;
  /** A URL that a plain HTTP GET can download from until `ttlSeconds` (1 to MAX_PRESIGN_TTL_SECONDS) have passed. */
  presignGet(key: string, ttlSeconds: number): Promise<string>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
}

/** SigV4 presigned URLs may live at most seven days; every store keeps to the same bound. */
export const MAX_PRESIGN_TTL_SECONDS = 7 * 24 * 3600;

export interface PutOptions {
  contentType: string;
  maxBytes: number;
}

export interface PutResult {
  size: number;
  /** Lower-case hex digest of the bytes stored. */
  sha256: string;
}

export interface BlobStat {
  size: number;
  contentType: string;
  lastModified: Date;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no blob under key "${key}"`);
    this.name = 'BlobNotFoundError';
  }
}

export class BlobTooLargeError extends Error {
  constructor(
    readonly key: string,
    readonly maxBytes: number,
  ) {
    super(`blob "${key}" exceeds the limit of ${maxBytes} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

/** What the subgraph knows about one uploaded file: its metadata, kept beside the content. */
export interface FileRecord {
  /** UUIDv7: time-ordered, and the key of both the content and the metadata. */
  id: string;
  /** Sanitized: a name to show and to download as, never a path. */
  filename: string;
  contentType: string;
  size: number;
  /** Lower-case hex SHA-256 of the content. */
  sha256: string;
  /** The user who uploaded it. */
  ownerId: string;
  createdAt: Date;
}

/**
 * File metadata. A record is saved only once the content is completely stored, so a half-finished upload never
 * shows as a file.
 */
export interface FileRecordStore {
  save(record: FileRecord): Promise<void>;
  /** Records for many ids at once, in request order, null where there is none. */
  getMany(ids: readonly string[]): Promise<(FileRecord | null)[]>;
}
