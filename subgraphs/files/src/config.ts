import { z } from 'zod';
import { env, identityEnv, loadConfig, s3CredentialsEnv, s3Env, serviceEnv, withSecrets, type Env } from '@chat4all/common';
import { DEFAULT_ALLOWED_CONTENT_TYPES, isContentTypePattern } from './upload/content-type';
import { MAX_PRESIGN_TTL_SECONDS } from './store/port';

const GiB = 1024 * 1024 * 1024;

/** The files subgraph: uploads streamed to MinIO/S3 (or, in the embedded profile, to the data folder). */
export const configSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4003),
    ...s3Env,
    ...s3CredentialsEnv,
    /**
     * The S3 endpoint as clients reach it, for the presigned download URLs (in compose the service talks to
     * http://minio:9000 while browsers reach http://localhost:9000). Defaults to S3_ENDPOINT.
     */
    S3_PUBLIC_ENDPOINT: z.url().optional(),
    /** Embedded profile: where clients reach this service, for the `/blobs/` download URLs. Default http://127.0.0.1:PORT. */
    FILES_PUBLIC_URL: z.url().optional(),
    /**
     * Embedded profile only: signs the `/blobs/` download URLs (HMAC-SHA256), at least 32 bytes. Unset, the embedded
     * profile (a development profile) uses a well-known development key; no other profile reads it.
     */
    BLOB_URL_SECRET: z.string().min(32, 'at least 32 bytes').optional(),
    // Verifies the gateway-signed caller identity.
    ...identityEnv,
    /** Largest file accepted; counted while the upload streams, so a bigger one is refused without being stored. */
    MAX_UPLOAD_BYTES: env.int(2 * GiB, 1),
    /** Files in one request: several `uploadFile` fields of one mutation reach this subgraph in one request. */
    MAX_UPLOAD_FILES: env.int(10, 1),
    /**
     * File records (filename, type, size, owner) kept in memory once read: they never change, so a page of attachments
     * seen before costs no metadata read. A record is ~300 bytes; 0 turns the cache off.
     */
    FILE_RECORD_CACHE_ENTRIES: z.coerce.number().int().min(0).default(10_000),
    /** How long a `File.url` download link works. */
    FILE_URL_TTL_SECONDS: z.coerce.number().int().min(1).max(MAX_PRESIGN_TTL_SECONDS).default(900),
    /**
     * How long a signed download link is handed out again (a file's `url` is then the same for that long, and signing,
     * the largest cost of a page of attachments, is paid once). A link is signed for FILE_URL_TTL_SECONDS plus this, so
     * each one handed out still works for FILE_URL_TTL_SECONDS. 0 signs every time.
     */
    FILE_URL_REUSE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
    /** Most signed links kept for reuse (one per file; a link is ~600 bytes). */
    FILE_URL_CACHE_ENTRIES: z.coerce.number().int().min(0).default(10_000),
    /**
     * Content types an upload may declare, comma-separated: exact types (`image/png`) or a whole family (`image/*`).
     * Declared types whose formats have a signature must also match the file's first bytes.
     */
    UPLOAD_ALLOWED_CONTENT_TYPES: env
      .list(DEFAULT_ALLOWED_CONTENT_TYPES.join(','))
      .pipe(z.array(z.string().refine(isContentTypePattern, 'a content type such as image/png or image/*'))),
  }),
);

export type Config = z.infer<typeof configSchema>;

export function loadServiceConfig(source: Env = process.env): Config {
  return loadConfig(configSchema, source);
}

/** Where presigned URLs point: what clients can reach. */
export function publicS3Endpoint(config: Pick<Config, 'S3_ENDPOINT' | 'S3_PUBLIC_ENDPOINT'>): string {
  return config.S3_PUBLIC_ENDPOINT ?? config.S3_ENDPOINT;
}
