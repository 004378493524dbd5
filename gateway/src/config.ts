import { z } from 'zod';
import { authEnv, env, identityEnv, kafkaEnv, loadConfig, serviceEnv, withSecrets, type Env, type Profile } from '@chat4all/common';

const MiB = 1024 * 1024;

/** A boolean whose default depends on the profile, so it stays `undefined` until `graphqlToggles` decides. */
const optionalBool = () =>
  z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((s) => (s === undefined ? undefined : s === 'true' || s === '1'));

/** The gateway: where the three subgraphs answer, and the bus it reads subscription events from. */
export const configSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4000),
    SUBGRAPH_USERS_URL: env.url('http://127.0.0.1:4001/graphql'),
    SUBGRAPH_MESSAGES_URL: env.url('http://127.0.0.1:4002/graphql'),
    SUBGRAPH_FILES_URL: env.url('http://127.0.0.1:4003/graphql'),
    ...kafkaEnv,
    ...authEnv,
    ...identityEnv,
    /** `static`: serve the committed supergraph.graphql. `introspect`: compose from the running subgraphs (development only). */
    SUPERGRAPH_MODE: z.enum(['static', 'introspect']).default('static'),
    /** Defaults to supergraph.graphql at the repository root. */
    SUPERGRAPH_PATH: z.string().min(1).optional(),
    /** Keep-alive connections per subgraph origin (the hot path reuses them instead of reconnecting). */
    SUBGRAPH_CONNECTIONS: env.int(64, 1),
    SUBGRAPH_KEEPALIVE_MS: env.int(30_000, 1),
    /** Time a subgraph may take to answer a (non-upload) request. */
    SUBGRAPH_TIMEOUT_MS: env.int(30_000, 100),
    /** Verified bearer tokens remembered (until each expires) so a client's token is checked once, not per request; 0 = off. */
    TOKEN_CACHE_ENTRIES: env.int(10_000, 0),
    GRAPHQL_MAX_DEPTH: env.int(10, 1),
    GRAPHQL_MAX_ALIASES: env.int(20, 0),
    GRAPHQL_MAX_TOKENS: env.int(3_000, 1),
    /** Static cost: one per field, multiplied by page sizes (`first`) and list sizes; see limits/cost.ts. */
    GRAPHQL_MAX_COST: env.int(20_000, 1),
    GRAPHQL_MAX_BATCH: env.int(10, 1),
    /** Largest JSON request body (uploads are bounded by MAX_UPLOAD_BYTES instead). */
    GRAPHQL_MAX_BODY_BYTES: env.int(1 * MiB, 1024),
    /** Default: on, except in the production profile. */
    GRAPHQL_INTROSPECTION: optionalBool(),
    /** The GraphiQL playground at /playground (bundled, nothing from a CDN). Default: on, except in the production profile. */
    PLAYGROUND_ENABLED: optionalBool(),
    MAX_UPLOAD_BYTES: env.int(2 * 1024 * MiB, 1),
    MAX_UPLOAD_FILES: env.int(10, 1),
    /**
     * Longest pause in an upload's bytes: a client that sends nothing for this long is refused (BAD_REQUEST), so it
     * cannot hold one of the gateway's connections to the files service for good.
     */
    UPLOAD_IDLE_TIMEOUT_MS: env.int(60_000, 100),
    /**
     * How far the heap may grow past what the last full collection kept, in percent, before the next one (heap.ts);
     * 0 leaves it to V8. Lower holds less garbage per subscriber for a little more collection work.
     */
    HEAP_GROWTH_PERCENT: env.int(50, 0),
    /** Events one subscription may have waiting; a subscriber that falls further behind is closed with 4429. */
    SUBSCRIPTION_BUFFER: env.int(1_000, 1),
    /**
     * Feed events the gateway hands out ahead of its subscribers: while their queues hold this many per subscription on
     * average, it reads no further from Kafka (at most 1 s per event), so a burst it cannot keep up with waits there.
     */
    SUBSCRIPTION_FANOUT_AHEAD: env.int(64, 1),
    /**
     * How long a conversation's member list is reused when authorizing subscription events (and how often myEvents
     * subscribers' lists are fetched afresh). A change announced on `conversations.members` applies at once; this bounds
     * how late one whose announcement never arrived (the bus down) does. 0 asks the users subgraph for every event.
     */
    SUBSCRIPTION_MEMBERSHIP_TTL_MS: env.int(30_000, 0),
    /** Distinct subscription operations whose parsed documents and query plans are kept (least recently used parsed and planned again). */
    SUBSCRIPTION_PLAN_CACHE: env.int(1_000, 1),
    /** Bytes a subscriber's socket may hold unsent (its client does not read); beyond it the socket closes with 4429. */
    SUBSCRIPTION_MAX_SOCKET_BUFFER_BYTES: env.int(4 * MiB, 1024),
    /** Subscriptions one socket may run at once (each holds up to SUBSCRIPTION_BUFFER events). */
    SUBSCRIPTION_MAX_PER_SOCKET: env.int(100, 1),
    /** Subscriptions resuming (`after`) at once on this instance, each with a reader of its own; more are RATE_LIMITED. */
    SUBSCRIPTION_MAX_REPLAYS: env.int(8, 1),
    /** Events after a cursor (all partitions) one resume may read; a cursor further behind is CURSOR_EXPIRED. */
    SUBSCRIPTION_MAX_REPLAY_RECORDS: env.int(100_000, 1),
    /** Records per partition read before the live edge (at start) and before a cursor (resume), only to learn the statuses of messages in flight. */
    SUBSCRIPTION_REPLAY_LOOKBACK: env.int(1_000, 0),
  }),
);

export type Config = z.infer<typeof configSchema>;

export function loadServiceConfig(source: Env = process.env): Config {
  return loadConfig(configSchema, source);
}

/** Introspection and the playground help during development; production turns them off unless asked. */
export function graphqlToggles(config: Pick<Config, 'CHAT4ALL_PROFILE' | 'GRAPHQL_INTROSPECTION' | 'PLAYGROUND_ENABLED'>): {
  introspection: boolean;
  playground: boolean;
} {
  const development = (config.CHAT4ALL_PROFILE as Profile) !== 'production';
  return {
    introspection: config.GRAPHQL_INTROSPECTION ?? development,
    playground: config.PLAYGROUND_ENABLED ?? development,
  };
}
