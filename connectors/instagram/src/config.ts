import { z } from 'zod';
import { cassandraEnv, connectorEnv, env, kafkaEnv, loadConfig, secret, serviceEnv, withSecrets, workerEnv, type Env } from '@chat4all/common';

/**
 * The Instagram connector: consumes outbound.instagram, calls the Send API (the simulator by default; the real
 * https://graph.facebook.com by configuration alone), and receives its signed webhooks on PORT `/webhook`. Instagram's
 * receipts carry only its own message ids, so the id → message map lives in Cassandra (`platform_message_refs`).
 */
export const configSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4012),
    ...kafkaEnv,
    ...workerEnv,
    ...cassandraEnv,
    INSTAGRAM_API_URL: env.url('http://127.0.0.1:4022'),
    /** Graph API version in the request path. */
    INSTAGRAM_API_VERSION: z.string().regex(/^v\d+\.\d+$/, 'a Graph API version such as v21.0').default('v21.0'),
    // An id, not a credential: the simulator's account by default, like WHATSAPP_PHONE_NUMBER_ID.
    INSTAGRAM_ACCOUNT_ID: env.string('17841400000000001'),
    /** Bearer token for the Send API. */
    INSTAGRAM_TOKEN: secret('dev-instagram-token'),
    /** Key of the HMAC-SHA256 signature (X-Hub-Signature-256) on incoming webhooks. */
    INSTAGRAM_APP_SECRET: secret('dev-instagram-app-secret'),
    /** Answers Meta's `GET /webhook` subscription handshake; without it the handshake is refused. */
    INSTAGRAM_VERIFY_TOKEN: z.string().min(1).optional(),
    // Retry, circuit, webhook and file-link settings shared by every connector (after the platform's own keys).
    ...connectorEnv,
  }),
);

export type Config = z.infer<typeof configSchema>;

export function loadServiceConfig(source: Env = process.env): Config {
  return loadConfig(configSchema, source);
}
