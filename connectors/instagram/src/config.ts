import { z } from 'zod';
import { env, kafkaEnv, loadConfig, secret, serviceEnv, withSecrets, type Env } from '@chat4all/common';

/**
 * The Instagram connector: consumes outbound.instagram, calls the (simulated) Send API, and receives
 * its signed status webhooks on PORT.
 */
export const configSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4012),
    ...kafkaEnv,
    INSTAGRAM_API_URL: env.url('http://127.0.0.1:4022'),
    // An id, not a credential: the simulator's account by default, like WHATSAPP_PHONE_NUMBER_ID.
    INSTAGRAM_ACCOUNT_ID: env.string('17841400000000001'),
    /** Bearer token for the Send API. */
    INSTAGRAM_TOKEN: secret('dev-instagram-token'),
    /** Key of the HMAC-SHA256 signature (X-Hub-Signature-256) on incoming webhooks. */
    INSTAGRAM_APP_SECRET: secret('dev-instagram-app-secret'),
  }),
);

export type Config = z.infer<typeof configSchema>;

export function loadServiceConfig(source: Env = process.env): Config {
  return loadConfig(configSchema, source);
}
