import { S3Error } from 'minio';
import type { Logger, S3Config } from '@chat4all/common';
import { createMinioClient } from './s3';

/** Creates the files bucket when it is missing; safe to run any number of times. */
export async function migrateS3(config: S3Config, log: Logger): Promise<void> {
  const client = createMinioClient(config);
  const bucket = config.S3_BUCKET;
  if (await client.bucketExists(bucket)) {
    log.info({ bucket }, 'S3 bucket already exists');
    return;
  }
  try {
    await client.makeBucket(bucket, config.S3_REGION);
    log.info({ bucket }, 'S3 bucket created');
  } catch (error) {
    // Another process may have created it between the check and the create.
    if (error instanceof S3Error && error.code === 'BucketAlreadyOwnedByYou') return;
    throw error;
  }
}

/** Names what `migrateS3` would create; an empty list means the store is ready. */
export async function verifyS3(config: S3Config): Promise<string[]> {
  const client = createMinioClient(config);
  return (await client.bucketExists(config.S3_BUCKET)) ? [] : [`S3 bucket "${config.S3_BUCKET}"`];
}
