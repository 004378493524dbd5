import { z } from 'zod';
import { env, loadConfig, secret, serviceEnv, simulatorEnv, withSecrets, type Env } from '@chat4all/common';

/**
 * The simulated WhatsApp Cloud API. Token, app secret and phone number id are the connector's own variables, so one
 * environment configures both; `WHATSAPP_WEBHOOK_URL` is where the connector listens.
 */
export const simulatorConfigSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4021),
    ...simulatorEnv,
    WHATSAPP_API_VERSION: z.string().regex(/^v\d+\.\d+$/, 'a Graph API version such as v21.0').default('v21.0'),
    WHATSAPP_PHONE_NUMBER_ID: env.string('100000000000001'),
    WHATSAPP_TOKEN: secret('dev-whatsapp-token'),
    WHATSAPP_APP_SECRET: secret('dev-whatsapp-app-secret'),
    WHATSAPP_WEBHOOK_URL: env.url('http://127.0.0.1:4011/webhook'),
  }),
);

export type SimulatorConfig = z.infer<typeof simulatorConfigSchema>;

export function loadSimulatorConfig(source: Env = process.env): SimulatorConfig {
  return loadConfig(simulatorConfigSchema, source);
}
