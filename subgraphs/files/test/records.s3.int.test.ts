import { createLogger, loadConfig, s3Env } from '@chat4all/common';
import type { S3Config } from '@chat4all/common';
import { z } from 'zod';
import { BlobFileRecordStore, createMinioClient, migrateS3, S3BlobStore } from '../src';
import { describeFileRecordStoreContract } from '../src/store/contract';

// Engine address from the environment (defaults: local S3Proxy); the store tests' own bucket.
const config: S3Config = { ...loadConfig(z.object(s3Env)), S3_BUCKET: 'chat4all-files-test' };

describeFileRecordStoreContract('metadata objects in S3', async () => {
  try {
    await createMinioClient(config).listBuckets();
  } catch (error) {
    throw new Error(`S3 is not reachable at ${config.S3_ENDPOINT} (start it with \`npm run infra:up\`): ${String(error)}`);
  }
  await migrateS3(config, createLogger('files-test', 'silent'));
  return { records: new BlobFileRecordStore(new S3BlobStore(config)) };
});
