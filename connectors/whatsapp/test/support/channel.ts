import type { ChannelProcesses } from '../../../../common/test/support/connector-scenario';

/** The test account both ends of the WhatsApp channel use: phone number id, token and app secret (signs webhooks). */
export const WHATSAPP_TEST_ACCOUNT = {
  phoneNumberId: '100000000000077',
  token: 'it-whatsapp-token',
  appSecret: 'it-whatsapp-app-secret',
} as const;

const platform = {
  WHATSAPP_PHONE_NUMBER_ID: WHATSAPP_TEST_ACCOUNT.phoneNumberId,
  WHATSAPP_TOKEN: WHATSAPP_TEST_ACCOUNT.token,
  WHATSAPP_APP_SECRET: WHATSAPP_TEST_ACCOUNT.appSecret,
};

/** How the WhatsApp connector and its Cloud API simulator run as processes, wired to each other. */
export const whatsappProcesses: ChannelProcesses = {
  channel: 'WHATSAPP',
  connectorScript: 'connectors/whatsapp/src/main.ts',
  simulatorScript: 'connectors/whatsapp/src/simulator/main.ts',
  connectorEnv: ({ simulator }) => ({ WHATSAPP_API_URL: `http://127.0.0.1:${simulator}`, ...platform }),
  simulatorEnv: ({ connector }) => ({ WHATSAPP_WEBHOOK_URL: `http://127.0.0.1:${connector}/webhook`, ...platform }),
};
