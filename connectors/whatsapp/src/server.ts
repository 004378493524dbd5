import { connectorService, type ConnectorOverrides, type ServiceDefinition } from '@chat4all/common';
import { configSchema, type Config } from './config';
import { WhatsAppConnector } from './whatsapp';

export const SERVICE_NAME = 'whatsapp';

export function createWhatsAppConnector(config: Config): WhatsAppConnector {
  return new WhatsAppConnector({
    baseUrl: config.WHATSAPP_API_URL,
    apiVersion: config.WHATSAPP_API_VERSION,
    token: config.WHATSAPP_TOKEN,
    timeoutMs: config.SEND_TIMEOUT_MS,
    phoneNumberId: config.WHATSAPP_PHONE_NUMBER_ID,
    appSecret: config.WHATSAPP_APP_SECRET,
    ...(config.WHATSAPP_VERIFY_TOKEN === undefined ? {} : { verifyToken: config.WHATSAPP_VERIFY_TOKEN }),
  });
}

/** The WhatsApp connector service (main.ts runs it; tests start it with their own env). */
export function whatsappService(overrides: ConnectorOverrides = {}): ServiceDefinition<typeof configSchema> {
  return connectorService({ name: SERVICE_NAME, channel: 'WHATSAPP', configSchema, createConnector: createWhatsAppConnector }, overrides);
}
