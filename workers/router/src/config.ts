import { z } from 'zod';
import { cassandraEnv, env, kafkaEnv, loadConfig, serviceEnv, withSecrets, workerEnv, type Env } from '@chat4all/common';
import { cassandraStoreEnv } from '@chat4all/messages';
import { DEFAULT_ROUTING_RULES, RoutingRulesError, parseRoutingRules } from './rules';

/** The routing rule table as JSON (see `rules.ts`), validated when the config is loaded. */
const routingRulesField = z
  .string()
  .default(JSON.stringify(DEFAULT_ROUTING_RULES))
  .transform((text, ctx) => {
    try {
      return parseRoutingRules(text);
    } catch (error) {
      if (!(error instanceof RoutingRulesError)) throw error;
      ctx.issues.push({ code: 'custom', message: error.message, input: text });
      return z.NEVER;
    }
  });

/**
 * The router worker: consumes accepted messages, stores them in Cassandra, routes them to a channel topic and records
 * DELIVERED; in the same process, the status persister applies every status event to the store.
 */
export const configSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4010),
    ...kafkaEnv,
    ...cassandraEnv,
    ...cassandraStoreEnv,
    ...workerEnv,
    // Every failure the router meets is its own infrastructure's (Cassandra, Kafka) and passes; giving up would leave
    // a message SENT forever, so by default it retries until it succeeds. A poison record is still set aside at once.
    WORKER_MAX_ATTEMPTS: env.int(0, 0),
    ROUTING_RULES: routingRulesField,
  }),
);

export type Config = z.infer<typeof configSchema>;

export function loadServiceConfig(source: Env = process.env): Config {
  return loadConfig(configSchema, source);
}
