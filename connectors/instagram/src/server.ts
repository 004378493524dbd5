import { connectorService, type ConnectorOverrides, type ServiceDefinition } from '@chat4all/common';
import { configSchema, type Config } from './config';
import { InstagramConnector } from './instagram';
import { openPlatformMessageRefs } from './refs';

export const SERVICE_NAME = 'instagram';

export function createInstagramConnector(config: Config): InstagramConnector {
  return new InstagramConnector({
    baseUrl: config.INSTAGRAM_API_URL,
    apiVersion: config.INSTAGRAM_API_VERSION,
    token: config.INSTAGRAM_TOKEN,
    timeoutMs: config.SEND_TIMEOUT_MS,
    accountId: config.INSTAGRAM_ACCOUNT_ID,
    appSecret: config.INSTAGRAM_APP_SECRET,
    ...(config.INSTAGRAM_VERIFY_TOKEN === undefined ? {} : { verifyToken: config.INSTAGRAM_VERIFY_TOKEN }),
  });
}

/** The Instagram connector service (main.ts runs it; tests start it with their own env). */
export function instagramService(overrides: ConnectorOverrides = {}): ServiceDefinition<typeof configSchema> {
  return connectorService(
    {
      name: SERVICE_NAME,
      channel: 'INSTAGRAM',
      configSchema,
      createConnector: createInstagramConnector,
      openRefs: (config, log) => openPlatformMessageRefs(config, log),
    },
    overrides,
  );
}
