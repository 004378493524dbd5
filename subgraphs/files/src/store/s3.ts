import type { Readable } from 'node:stream';
import { Client, S3Error } from 'minio';
import type { S3Config } from '@chat4all/common';
import { PutMeter } from './meter';
import { BlobNotFoundError, MAX_PRESIGN_TTL_SECONDS } from './port';
import type { BlobStat, BlobStore, PutOptions, PutResult } from './port';

/** S3's smallest allowed part (except the last one). */
const MIN_PART_SIZE = 5 * 1024 * 1024;

export interface S3BlobStoreOptions {
  /**
   * Bytes gathered before one multipart part is sent. S3 needs each part's length up front, so this
   * is the most a single upload holds in memory; objects no larger than this go up in one PUT.
   */
  partSize?: number;
}

/** A minio client for any S3-compatible endpoint: path-style, region always given (S3Proxy reports none). */
export function createMinioClient(config: S3Config): Client {
  const endpoint = new URL(config.S3_ENDPOINT);
  const useSSL = endpoint.protocol === 'https:';
  return new Client({
    endPoint: endpoint.hostname,
    port: endpoint.port === '' ? (useSSL ? 443 : 80) : Number(endpoint.port),
    useSSL,
    accessKey: config.S3_ACCESS_KEY,
    secretKey: config.S3_SECRET_KEY,
    region: config.S3_REGION,
    pathStyle: true,
  });
}

function isNotFound(error: unknown): boolean {
  // GET answers NoSuchKey; HEAD has no body, so minio reports NotFound.
  return error instanceof S3Error && (error.code === 'NoSuchKey' || error.code === 'NotFound');
}

export class S3BlobStore implements BlobStore {
  private readonly client: Client;
  private readonly bucket: string;
  private readonly partSize: number;

  constructor(config: S3Config, options: S3BlobStoreOptions = {}) {
    this.client = createMinioClient(config);
    this.bucket = config.S3_BUCKET;
    this.partSize = options.partSize ?? 8 * 1024 * 1024;
    if (!Number.isInteger(this.partSize) || this.partSize < MIN_PART_SIZE) {
      throw new RangeError(`partSize must be an integer of at least ${MIN_PART_SIZE} bytes`);
    }
  }

  async put(key: string, body: Readable, { contentType, maxBytes }: PutOptions): Promise<PutResult> {
    const meter = new PutMeter(key, maxBytes);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    // Parts are uploaded one at a time, so the source is not read while a part is in flight:
    // memory stays at about one part whatever the object's size.
    let uploadId: string | undefined;
    const parts: { part: number; etag: string }[] = [];

    const takePending = (): Buffer => {
      const payload = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      return payload;
    };
    const uploadPart = async (): Promise<void> => {
      uploadId ??= await this.client.initiateNewMultipartUpload(this.bucket, key, { 'Content-Type': contentType });
      const partNumber = parts.length + 1;
      const { etag } = await this.client.uploadPart(
        { bucketName: this.bucket, objectName: key, uploadID: uploadId, partNumber, headers: {} },
        takePending(),
      );
      parts.push({ part: partNumber, etag });
    };

    try {
      for await (const chunk of body as AsyncIterable<Buffer | string>) {
        // Throwing (past maxBytes) inside for-await destroys the source, so the sender stops here too.
        const bytes = meter.take(chunk);
        pending.push(bytes);
        pendingBytes += bytes.length;
        if (pendingBytes >= this.partSize) await uploadPart();
      }
      if (uploadId === undefined) {
        const payload = takePending();
        await this.client.putObject(this.bucket, key, payload, payload.length, { 'Content-Type': contentType });
      } else {
        if (pendingBytes > 0) await uploadPart();
        await this.client.completeMultipartUpload(this.bucket, key, uploadId, parts);
      }
    } catch (error) {
      if (uploadId !== undefined) {
        // An uncompleted multipart upload never becomes an object; aborting frees its parts.
        // A failed abort must not hide the original error.
        await this.client.abortMultipartUpload(this.bucket, key, uploadId).catch(() => undefined);
      }
      throw error;
    }
    return meter.result();
  }

  async get(key: string): Promise<Readable> {
    try {
      return await this.client.getObject(this.bucket, key);
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async stat(key: string): Promise<BlobStat> {
    try {
      const stat = await this.client.statObject(this.bucket, key);
      const contentType: unknown = stat.metaData['content-type'];
      return {
        size: stat.size,
        contentType: typeof contentType === 'string' ? contentType : 'application/octet-stream',
        lastModified: stat.lastModified,
      };
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async presignGet(key: string, ttlSeconds: number): Promise<string> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_PRESIGN_TTL_SECONDS) {
      throw new RangeError(`ttlSeconds must be an integer between 1 and ${MAX_PRESIGN_TTL_SECONDS}`);
    }
    return this.client.presignedGetObject(this.bucket, key, ttlSeconds);
  }

  async delete(key: string): Promise<void> {
    // S3 answers 204 for a missing key as well, which makes this idempotent.
    await this.client.removeObject(this.bucket, key);
  }
}
