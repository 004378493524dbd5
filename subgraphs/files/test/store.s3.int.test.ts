import { randomUUID } from 'node:crypto';
import { createLogger, loadConfig, s3Env } from '@chat4all/common';
import type { S3Config } from '@chat4all/common';
import { z } from 'zod';
import { createMinioClient, migrateS3, S3BlobStore, verifyS3 } from '../src';
import { describeBlobStoreContract } from '../src/store/contract';

// Engine address from the environment (defaults: local S3Proxy); a bucket of the tests' own.
const base = loadConfig(z.object(s3Env));
const config: S3Config = { ...base, S3_BUCKET: 'chat4all-files-test' };
const log = createLogger('files-test', 'silent');

async function requireS3(): Promise<void> {
  try {
    await createMinioClient(config).listBuckets();
  } catch (error) {
    throw new Error(`S3 is not reachable at ${config.S3_ENDPOINT} (start it with \`npm run infra:up\`): ${String(error)}`);
  }
}

describeBlobStoreContract('S3 (minio client)', async () => {
  await requireS3();
  await migrateS3(config, log);
  return { store: new S3BlobStore(config) };
});

describe('S3 migration', () => {
  it('creates a missing bucket, reports it until then, and can run again', async () => {
    await requireS3();
    const fresh: S3Config = { ...config, S3_BUCKET: `chat4all-migrate-${randomUUID().slice(0, 8)}` };
    try {
      expect(await verifyS3(fresh)).toEqual([`S3 bucket "${fresh.S3_BUCKET}"`]);
      await migrateS3(fresh, log);
      expect(await verifyS3(fresh)).toEqual([]);
      await migrateS3(fresh, log);
      expect(await verifyS3(fresh)).toEqual([]);
    } finally {
      await createMinioClient(fresh).removeBucket(fresh.S3_BUCKET).catch(() => undefined);
    }
  }, 30_000);
});
