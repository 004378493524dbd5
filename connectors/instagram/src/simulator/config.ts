import { z } from 'zod';
import { env, loadConfig, secret, serviceEnv, simulatorEnv, withSecrets, type Env } from '@chat4all/common';

/**
 * The simulated Instagram Send API. Token, app secret and account id are the connector's own variables, so one
 * environment configures both; `INSTAGRAM_WEBHOOK_URL` is where the connector listens. Instagram reports no failures by
 * webhook, so SIM_FAILED_STATUS_RATE must stay 0 here (SIM_FAILURE_RATE fails send calls).
 */
export const simulatorConfigSchema = withSecrets(
  z.object({
    ...serviceEnv,
    PORT: env.port(4022),
    ...simulatorEnv,
    INSTAGRAM_API_VERSION: z.string().regex(/^v\d+\.\d+$/, 'a Graph API version such as v21.0').default('v21.0'),
    INSTAGRAM_ACCOUNT_ID: env.string('17841400000000001'),
    INSTAGRAM_TOKEN: secret('dev-instagram-token'),
    INSTAGRAM_APP_SECRET: secret('dev-instagram-app-secret'),
    INSTAGRAM_WEBHOOK_URL: env.url('http://127.0.0.1:4012/webhook'),
  }),
);

export type SimulatorConfig = z.infer<typeof simulatorConfigSchema>;

export function loadSimulatorConfig(source: Env = process.env): SimulatorConfig {
  return loadConfig(simulatorConfigSchema, source);
}
