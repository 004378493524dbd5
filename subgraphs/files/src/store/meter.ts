import { createHash } from 'node:crypto';
import { BlobTooLargeError } from './port';
import type { PutResult } from './port';

/**
 * Counts and hashes the bytes of one `put` as they pass, and refuses the chunk that crosses `maxBytes`, so every
 * adapter measures and limits uploads the same way without holding them.
 */
export class PutMeter {
  private readonly hash = createHash('sha256');
  private size = 0;

  constructor(
    private readonly key: string,
    private readonly maxBytes: number,
  ) {}

  /** The chunk as bytes, counted and hashed; throws `BlobTooLargeError` once the total exceeds the limit. */
  take(chunk: Buffer | string): Buffer {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.size += bytes.length;
    if (this.size > this.maxBytes) throw new BlobTooLargeError(this.key, this.maxBytes);
    this.hash.update(bytes);
    return bytes;
  }

  /** Call once, after the last chunk. */
  result(): PutResult {
    return { size: this.size, sha256: this.hash.digest('hex') };
  }
}
