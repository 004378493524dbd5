import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK = 64 * 1024;

/**
 * `bytes` of generated content as a stream (never on disk, never whole in memory): one random 64 KiB block, each
 * chunk stamped with its index so no two chunks are equal. `digest()` is the SHA-256 of what was read, once it ended.
 */
export function generatedFile(bytes: number): { stream: Readable; digest(): string } {
  const block = randomBytes(CHUNK);
  const hash = createHash('sha256');
  let sent = 0;
  let index = 0;
  const stream = new Readable({
    highWaterMark: 4 * CHUNK,
    read() {
      if (sent >= bytes) {
        this.push(null);
        return;
      }
      const length = Math.min(CHUNK, bytes - sent);
      const chunk = Buffer.from(block.subarray(0, length));
      if (length >= 8) chunk.writeDoubleBE(index++, 0);
      hash.update(chunk);
      sent += length;
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}
