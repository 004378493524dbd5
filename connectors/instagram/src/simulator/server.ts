import { simulatorService, type ServiceDefinition } from '@chat4all/common';
import { simulatorConfigSchema } from './config';
import { instagramPlatform } from './platform';

/** The simulated Instagram Send API as a service. */
export function instagramSimulatorService(): ServiceDefinition<typeof simulatorConfigSchema> {
  return simulatorService({
    name: 'instagram-simulator',
    configSchema: simulatorConfigSchema,
    platform: (config) => ({
      platform: instagramPlatform({ apiVersion: config.INSTAGRAM_API_VERSION, accountId: config.INSTAGRAM_ACCOUNT_ID }),
      token: config.INSTAGRAM_TOKEN,
      appSecret: config.INSTAGRAM_APP_SECRET,
      webhookUrl: config.INSTAGRAM_WEBHOOK_URL,
    }),
  });
}
