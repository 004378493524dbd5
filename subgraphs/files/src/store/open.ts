import { embeddedDataDir, embeddedProfile, requireSchema, type Logger, type ReadinessCheck, type RequestHandler } from '@chat4all/common';
import { publicS3Endpoint, type Config } from '../config';
import { LocalDiskBlobStore } from './local-disk';
import { verifyS3 } from './migrate';
import { BlobNotFoundError, type BlobStore } from './port';
import { S3BlobStore } from './s3';
import { serveSignedBlobs } from './signed-blobs';

/** What the files subgraph stores on: content, who signs download URLs, and (embedded) who serves them. */
export interface FileStorage {
  blobs: BlobStore;
  urls: Pick<BlobStore, 'presignGet'>;
  /** Serves `/blobs/…` on the files service's own port (embedded only: S3 serves its presigned URLs itself). */
  signedBlobs?: RequestHandler;
  check: { name: string; run: ReadinessCheck };
}

export type FileStorageConfig = Pick<
  Config,
  'CHAT4ALL_PROFILE' | 'CHAT4ALL_DATA_DIR' | 'PORT' | 'FILES_PUBLIC_URL' | 'BLOB_URL_SECRET' | keyof Parameters<typeof verifyS3>[0] | 'S3_PUBLIC_ENDPOINT'
>;

/**
 * The one factory of the blob store port (file records live in it too, see `BlobFileRecordStore`): files under
 * `<CHAT4ALL_DATA_DIR>/files` with HMAC-signed `/blobs/` URLs in the embedded profile, else the S3 bucket (refused
 * when it does not exist).
 */
/** The embedded profile's URL key when BLOB_URL_SECRET is unset: that profile is for development on one machine. */
const DEV_BLOB_URL_SECRET = 'dev-blob-url-secret-for-local-development-only';

export async function openFileStorage(config: FileStorageConfig, log: Logger): Promise<FileStorage> {
  if (embeddedProfile(config)) {
    const blobs = await LocalDiskBlobStore.open({
      dataDir: embeddedDataDir(config, 'files'),
      publicBaseUrl: config.FILES_PUBLIC_URL ?? `http://127.0.0.1:${config.PORT}`,
      urlSecret: config.BLOB_URL_SECRET ?? DEV_BLOB_URL_SECRET,
    });
    const signedBlobs = serveSignedBlobs(blobs, config.BLOB_URL_SECRET ?? DEV_BLOB_URL_SECRET, (error) => log.warn({ err: error }, 'serving a blob failed'));
    // Local disk has nothing to reach: a stat of an absent key answering "not found" proves the folder is readable.
    const run = () =>
      blobs.stat('readyz-probe').then(
        () => [],
        (error: unknown) => (error instanceof BlobNotFoundError ? [] : [`blob folder: ${error instanceof Error ? error.message : String(error)}`]),
      );
    return { blobs, urls: blobs, signedBlobs, check: { name: 'blob folder', run } };
  }
  await requireSchema('s3', () => verifyS3(config));
  const blobs = new S3BlobStore(config);
  // Signing needs no request (the region is configured), so this client never has to reach the public address.
  const urls = new S3BlobStore({ ...config, S3_ENDPOINT: publicS3Endpoint(config) });
  // verifyS3 asks for the bucket: an unreachable S3 fails it, a deleted bucket is named.
  return { blobs, urls, check: { name: 's3', run: () => verifyS3(config) } };
}
