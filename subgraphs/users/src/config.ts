import { z } from 'zod';
import { env, loadConfig, postgresEnv, serviceEnv, withSecrets, type Env } from '@chat4all/common';

/** The users subgraph: users and conversations in CockroachDB/PostgreSQL. */
export const configSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4001),
    ...postgresEnv,
  }),
);

export type Config = z.infer<typeof configSchema>;

export function loadServiceConfig(source: Env = process.env): Config {
  return loadConfig(configSchema, source);
}
