import { z } from 'zod';
import { env, kafkaEnv, loadConfig, secret, serviceEnv, withSecrets, type Env } from '@chat4all/common';

/**
 * The WhatsApp connector: consumes outbound.whatsapp, calls the (simulated) Cloud API, and receives
 * its signed status webhooks on PORT.
 */
export const configSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4011),
    ...kafkaEnv,
    WHATSAPP_API_URL: env.url('http://127.0.0.1:4021'),
    WHATSAPP_PHONE_NUMBER_ID: env.string('100000000000001'),
    /** Bearer token for the Cloud API. */
    WHATSAPP_TOKEN: secret('dev-whatsapp-token'),
    /** Key of the HMAC-SHA256 signature (X-Hub-Signature-256) on incoming webhooks. */
    WHATSAPP_APP_SECRET: secret('dev-whatsapp-app-secret'),
  }),
);

export type Config = z.infer<typeof configSchema>;

export function loadServiceConfig(source: Env = process.env): Config {
  return loadConfig(configSchema, source);
}
