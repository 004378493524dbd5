import { readFileSync } from 'node:fs';
import path from 'node:path';
import DataLoader from 'dataloader';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { countStoreCalls, createSubgraphHandler, type Logger, type RequestHandler, type ServiceDefinition, type SubgraphContext, type SubgraphHandler, type MetricsRegistry } from '@chat4all/common';
import { configSchema, type Config } from './config';
import type { FilesContext } from './context';
import { createResolvers } from './resolvers';
import { openFileStorage } from './store/open';
import type { BlobStore, FileRecordStore } from './store/port';
import { CachedFileRecordStore } from './store/cached-records';
import { BlobFileRecordStore } from './store/records';
import { routeSignedBlobs } from './store/signed-blobs';
import { ReusedDownloadUrls } from './store/reused-urls';

export const SERVICE_NAME = 'files';
export const typeDefs = readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8');

/** A page of attachments resolves in one batch; bigger batches are split so one request cannot fan out without end. */
const MAX_LOADER_BATCH = 100;

/** What the subgraph runs on; filesService passes the real adapters, tests may pass their own. */
export interface FilesDependencies {
  /** Content (and, by default, metadata) storage. */
  blobs: BlobStore;
  /** Signs download URLs for the endpoint clients reach. */
  urls: Pick<BlobStore, 'presignGet'>;
  /** Defaults to metadata objects in `blobs`. */
  records?: FileRecordStore;
  log: Logger;
  /** Where operations resolved are counted (/metrics). */
  metrics?: MetricsRegistry;
}

export type FilesServerConfig = Pick<Config, 'IDENTITY_SIGNING_KEY' | 'MAX_UPLOAD_BYTES' | 'MAX_UPLOAD_FILES' | 'FILE_URL_TTL_SECONDS' | 'UPLOAD_ALLOWED_CONTENT_TYPES'> &
  Partial<Pick<Config, 'FILE_RECORD_CACHE_ENTRIES' | 'FILE_URL_REUSE_SECONDS' | 'FILE_URL_CACHE_ENTRIES'>>;

type FilesOwnContext = Omit<FilesContext, 'identity'>;

/** The files subgraph's GraphQL handler (mount it on the service bootstrap, or on any node http server). */
export function createFilesSubgraph(config: FilesServerConfig, deps: FilesDependencies): SubgraphHandler<FilesOwnContext> {
  const stored = deps.records ?? new BlobFileRecordStore(deps.blobs);
  const cacheEntries = config.FILE_RECORD_CACHE_ENTRIES ?? 0;
  const records = cacheEntries > 0 ? new CachedFileRecordStore(stored, cacheEntries) : stored;
  const urls = new ReusedDownloadUrls(deps.urls, { reuseSeconds: config.FILE_URL_REUSE_SECONDS ?? 0, maxEntries: config.FILE_URL_CACHE_ENTRIES ?? 0 });
  const resolvers = createResolvers({
    blobs: deps.blobs,
    urls,
    records,
    log: deps.log,
    options: {
      maxUploadBytes: config.MAX_UPLOAD_BYTES,
      urlTtlSeconds: config.FILE_URL_TTL_SECONDS,
      allowedContentTypes: config.UPLOAD_ALLOWED_CONTENT_TYPES,
    },
  });
  return createSubgraphHandler<FilesOwnContext>({
    name: SERVICE_NAME,
    typeDefs,
    // Codegen's resolver map (with typed parents and args) is a stricter form of the one buildSubgraphSchema takes.
    resolvers: resolvers as GraphQLResolverMap<SubgraphContext<FilesOwnContext>>,
    identityKey: config.IDENTITY_SIGNING_KEY,
    log: deps.log,
    metrics: deps.metrics,
    // The file stays a stream; the guard counts its bytes against the same limit the store enforces.
    uploads: { maxFileSize: config.MAX_UPLOAD_BYTES, maxFiles: config.MAX_UPLOAD_FILES },
    context: () => ({
      loaders: { file: new DataLoader((ids: readonly string[]) => records.getMany(ids), { maxBatchSize: MAX_LOADER_BATCH }) },
    }),
  });
}

/** Dependencies a test may supply instead of the real ones (which are then not created). */
export type FilesOverrides = Partial<Omit<FilesDependencies, 'log'>> & {
  /** Serves `/blobs/…` (presigned downloads of an embedded store, `serveSignedBlobs`); other paths stay GraphQL. */
  signedBlobs?: RequestHandler;
};

/**
 * The whole service for the bootstrap (`runServiceMain` in main.ts, `startService` in tests): opens the storage the
 * profile picks (S3 bucket checked, or the data folder), serves GraphQL with streamed uploads (and, embedded, the signed
 * `/blobs/` downloads), reports readiness, and stops in order.
 */
export function filesService(overrides: FilesOverrides = {}): ServiceDefinition<typeof configSchema> {
  return {
    name: SERVICE_NAME,
    configSchema,
    async start({ config, log, metrics, onShutdown, addReadinessCheck }) {
      // Refuses to start without the bucket (S3) rather than fail on the first upload.
      const storage = overrides.blobs ? undefined : await openFileStorage(config, log);
      const blobs = overrides.blobs ?? storage!.blobs;
      const urls = overrides.urls ?? storage?.urls ?? blobs;
      if (storage) addReadinessCheck(storage.check.name, storage.check.run);
      // Metadata calls per method on /metrics (chat4all_store_calls_total{store="file-records"}): shows the loader batching.
      const records = countStoreCalls(overrides.records ?? new BlobFileRecordStore(blobs), metrics, 'file-records');
      const subgraph = createFilesSubgraph(config, { blobs, urls, records, log, metrics });
      onShutdown('graphql', () => subgraph.stop());

      const signedBlobs = overrides.signedBlobs ?? storage?.signedBlobs;
      return { handler: signedBlobs ? routeSignedBlobs(signedBlobs, subgraph.handler) : subgraph.handler };
    },
  };
}
