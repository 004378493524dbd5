import type { Logger } from '@chat4all/common';
import type { BlobStore, FileRecordStore } from '../store/port';

/** What the resolvers are built from (server.ts wires the real ones). */
export interface ResolverDeps {
  /** Where the content is streamed. */
  blobs: BlobStore;
  /** Signs download URLs on the endpoint clients reach (S3_PUBLIC_ENDPOINT). */
  urls: Pick<BlobStore, 'presignGet'>;
  records: FileRecordStore;
  log: Logger;
  options: {
    maxUploadBytes: number;
    urlTtlSeconds: number;
    allowedContentTypes: readonly string[];
  };
}
