import { z } from 'zod';
import { cassandraEnv, env, identityEnv, kafkaEnv, loadConfig, serviceEnv, withSecrets, type Env } from '@chat4all/common';
import { cassandraStoreEnv } from './store/client';

/** The messages subgraph: history read from Cassandra, new messages published to the bus. */
export const configSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4002),
    ...cassandraEnv,
    ...cassandraStoreEnv,
    ...kafkaEnv,
    // Verifies the gateway-signed caller identity, and signs this service's own calls to the other subgraphs.
    ...identityEnv,
    /** Most characters (Unicode code points) in a message's text. */
    MAX_CONTENT_LENGTH: env.int(4096, 1),
    /**
     * How long a conversation's member list is reused before the users subgraph is asked again. A change announced on
     * `conversations.members` drops the list at once; this bounds how late a change whose announcement never arrived
     * (the bus down) takes effect for sending and reading. 0 disables caching.
     */
    MEMBERSHIP_CACHE_TTL_MS: env.int(30_000, 0),
    /** Most conversations whose members are remembered at once (least recently used forgotten first). */
    MEMBERSHIP_CACHE_MAX_ENTRIES: env.int(10_000, 1),
    SUBGRAPH_USERS_URL: env.url('http://127.0.0.1:4001/graphql'),
    SUBGRAPH_FILES_URL: env.url('http://127.0.0.1:4003/graphql'),
    /** Time limit for one call to another subgraph. */
    PEER_TIMEOUT_MS: env.int(3000, 1),
    /**
     * How long a send with a clientMessageId may take to produce its event before a retry may take it over and
     * produce the same message. Longer than a slow publish; a retry that finds the send in progress waits up to this.
     */
    SEND_CLAIM_LEASE_MS: env.int(15_000, 100),
  }),
);

export type Config = z.infer<typeof configSchema>;

export function loadServiceConfig(source: Env = process.env): Config {
  return loadConfig(configSchema, source);
}
