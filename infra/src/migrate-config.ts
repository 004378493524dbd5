import { z } from 'zod';
import { cassandraEnv, kafkaEnv, loadConfig, postgresEnv, s3CredentialsEnv, s3Env, serviceEnv, withSecrets, type Env } from '@chat4all/common';

/**
 * What `npm run migrate` (and compose's migrate job) reads: every engine's address, and the profile, so that in
 * production the S3 keys must be set like the files subgraph's (no development default).
 */
export const configSchema = withSecrets(
  z.object({
    CHAT4ALL_PROFILE: serviceEnv.CHAT4ALL_PROFILE,
    ...kafkaEnv,
    ...cassandraEnv,
    ...s3Env,
    ...s3CredentialsEnv,
    ...postgresEnv,
  }),
);

export type MigrateConfig = z.infer<typeof configSchema>;

export function loadMigrateConfig(source: Env = process.env): MigrateConfig {
  return loadConfig(configSchema, source);
}
