import { z } from 'zod';
import { authEnv, env, identityEnv, kafkaEnv, loadConfig, postgresEnv, serviceEnv, withSecrets, type Env } from '@chat4all/common';
import { CONVERSATION_MAX_MEMBERS_DEFAULT } from './resolvers/input';

/** The users subgraph: users and conversations in CockroachDB/PostgreSQL. */
export const configSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4001),
    ...postgresEnv,
    // Consumes messages.accepted to keep each conversation's lastActivityAt current.
    ...kafkaEnv,
    // Issues the client tokens on register/login (with RS256/ES256/EdDSA this service holds JWT_PRIVATE_KEY).
    ...authEnv,
    // Verifies the gateway-signed caller identity on every request.
    ...identityEnv,
    // Users looked up by id kept in memory (they never change); 0 turns it off.
    USER_RECORD_CACHE_ENTRIES: env.int(10_000, 0),
    // Members a conversation may have: every service caching membership holds its whole member list.
    CONVERSATION_MAX_MEMBERS: env.int(CONVERSATION_MAX_MEMBERS_DEFAULT, 2),
  }),
);

export type Config = z.infer<typeof configSchema>;

export function loadServiceConfig(source: Env = process.env): Config {
  return loadConfig(configSchema, source);
}
