import { z } from 'zod';
import { cassandraEnv, env, kafkaEnv, loadConfig, serviceEnv, withSecrets, type Env } from '@chat4all/common';

/** The router worker: consumes accepted messages, stores them in Cassandra, routes them to a channel topic. */
export const configSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4010),
    ...kafkaEnv,
    ...cassandraEnv,
  }),
);

export type Config = z.infer<typeof configSchema>;

export function loadServiceConfig(source: Env = process.env): Config {
  return loadConfig(configSchema, source);
}
