import { z } from 'zod';
import { env, loadConfig, s3Env, secret, serviceEnv, withSecrets, type Env } from '@chat4all/common';

/** The files subgraph: uploads streamed to MinIO/S3. */
export const configSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4003),
    ...s3Env,
    // The S3 keys are credentials: no default in production (s3Env's defaults suit the local engines only).
    S3_ACCESS_KEY: secret('chat4all'),
    S3_SECRET_KEY: secret('chat4all-secret'),
  }),
);

export type Config = z.infer<typeof configSchema>;

export function loadServiceConfig(source: Env = process.env): Config {
  return loadConfig(configSchema, source);
}
