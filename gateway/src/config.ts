import { z } from 'zod';
import { env, kafkaEnv, loadConfig, serviceEnv, withSecrets, type Env } from '@chat4all/common';

/** The gateway: where the three subgraphs answer, and the bus it reads subscription events from. */
export const configSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4000),
    SUBGRAPH_USERS_URL: env.url('http://127.0.0.1:4001/graphql'),
    SUBGRAPH_MESSAGES_URL: env.url('http://127.0.0.1:4002/graphql'),
    SUBGRAPH_FILES_URL: env.url('http://127.0.0.1:4003/graphql'),
    ...kafkaEnv,
  }),
);

export type Config = z.infer<typeof configSchema>;

export function loadServiceConfig(source: Env = process.env): Config {
  return loadConfig(configSchema, source);
}
