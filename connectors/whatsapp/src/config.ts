import { z } from 'zod';
import { connectorEnv, env, kafkaEnv, loadConfig, secret, serviceEnv, withSecrets, workerEnv, type Env } from '@chat4all/common';

/**
 * The WhatsApp connector: consumes outbound.whatsapp, calls the Cloud API (the simulator by default; the real
 * https://graph.facebook.com by configuration alone), and receives its signed status webhooks on PORT `/webhook`.
 */
export const configSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4011),
    ...kafkaEnv,
    ...workerEnv,
    WHATSAPP_API_URL: env.url('http://127.0.0.1:4021'),
    /** Graph API version in the request path. */
    WHATSAPP_API_VERSION: z.string().regex(/^v\d+\.\d+$/, 'a Graph API version such as v21.0').default('v21.0'),
    WHATSAPP_PHONE_NUMBER_ID: env.string('100000000000001'),
    /** Bearer token for the Cloud API. */
    WHATSAPP_TOKEN: secret('dev-whatsapp-token'),
    /** Key of the HMAC-SHA256 signature (X-Hub-Signature-256) on incoming webhooks. */
    WHATSAPP_APP_SECRET: secret('dev-whatsapp-app-secret'),
    /** Answers Meta's `GET /webhook` subscription handshake; without it the handshake is refused. */
    WHATSAPP_VERIFY_TOKEN: z.string().min(1).optional(),
    // Retry, circuit, webhook and file-link settings shared by every connector (after the platform's own keys).
    ...connectorEnv,
  }),
);

export type Config = z.infer<typeof configSchema>;

export function loadServiceConfig(source: Env = process.env): Config {
  return loadConfig(configSchema, source);
}
