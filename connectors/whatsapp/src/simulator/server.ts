import { simulatorService, type ServiceDefinition } from '@chat4all/common';
import { simulatorConfigSchema } from './config';
import { whatsappPlatform } from './platform';

/** The simulated WhatsApp Cloud API as a service. */
export function whatsappSimulatorService(): ServiceDefinition<typeof simulatorConfigSchema> {
  return simulatorService({
    name: 'whatsapp-simulator',
    configSchema: simulatorConfigSchema,
    platform: (config) => ({
      platform: whatsappPlatform({ apiVersion: config.WHATSAPP_API_VERSION, phoneNumberId: config.WHATSAPP_PHONE_NUMBER_ID }),
      token: config.WHATSAPP_TOKEN,
      appSecret: config.WHATSAPP_APP_SECRET,
      webhookUrl: config.WHATSAPP_WEBHOOK_URL,
    }),
  });
}
