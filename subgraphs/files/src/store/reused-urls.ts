import { TtlLru } from '@chat4all/common';
import { MAX_PRESIGN_TTL_SECONDS, type BlobStore } from './port';
/**
 * Added to every signed lifetime: covers the time between signing and caching, and the signature's one-second
 * resolution, so a reused URL never has less than the asked lifetime left.
 */
const MARGIN_SECONDS = 1;

export interface ReusedUrlOptions {
  /** How long a signed URL is handed out again; 0 signs every time. */
  reuseSeconds: number;
  /** Most URLs kept at once, least recently used out. */
  maxEntries: number;
  now?: () => number;
}

/**
 * Download URLs signed once and handed out again for a short while. Signing is the files subgraph's largest cost per
 * history page (SigV4: five HMACs per URL), and a page's attachments are read again and again. A URL is signed for the
 * asked lifetime plus the reuse window, and reused only within that window, so each one handed out still works for
 * at least the lifetime asked. The same file then also has the same URL for a while, which clients can cache by.
 */
export class ReusedDownloadUrls implements Pick<BlobStore, 'presignGet'> {
  private readonly urls: TtlLru<string, string> | undefined;

  constructor(
    private readonly signer: Pick<BlobStore, 'presignGet'>,
    private readonly options: ReusedUrlOptions,
  ) {
    if (options.reuseSeconds > 0 && options.maxEntries > 0) {
      this.urls = new TtlLru(options.maxEntries, options.reuseSeconds * 1000, options.now);
    }
  }

  async presignGet(key: string, ttlSeconds: number): Promise<string> {
    const signedFor = ttlSeconds + this.options.reuseSeconds + MARGIN_SECONDS;
    // A lifetime that leaves no room for reuse within the seven days S3 allows is signed as asked, every time.
    if (!this.urls || signedFor > MAX_PRESIGN_TTL_SECONDS) return this.signer.presignGet(key, ttlSeconds);
    const cacheKey = `${ttlSeconds}\n${key}`;
    const known = this.urls.get(cacheKey);
    if (known !== undefined) return known;
    const url = await this.signer.presignGet(key, signedFor);
    this.urls.set(cacheKey, url);
    return url;
  }
}
