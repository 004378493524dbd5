import { z } from 'zod';
import { cassandraEnv, env, kafkaEnv, loadConfig, serviceEnv, withSecrets, type Env } from '@chat4all/common';

/** The messages subgraph: history read from Cassandra, new messages published to the bus. */
export const configSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4002),
    ...cassandraEnv,
    ...kafkaEnv,
  }),
);

export type Config = z.infer<typeof configSchema>;

export function loadServiceConfig(source: Env = process.env): Config {
  return loadConfig(configSchema, source);
}
