import type { ChannelProcesses } from '../../../../common/test/support/connector-scenario';

/** The test account both ends of the Instagram channel use: account id, token and app secret (signs webhooks). */
export const INSTAGRAM_TEST_ACCOUNT = {
  accountId: '17841400000000077',
  token: 'it-instagram-token',
  appSecret: 'it-instagram-app-secret',
} as const;

const platform = {
  INSTAGRAM_ACCOUNT_ID: INSTAGRAM_TEST_ACCOUNT.accountId,
  INSTAGRAM_TOKEN: INSTAGRAM_TEST_ACCOUNT.token,
  INSTAGRAM_APP_SECRET: INSTAGRAM_TEST_ACCOUNT.appSecret,
};

/** How the Instagram connector and its Send API simulator run as processes, wired to each other. */
export const instagramProcesses: ChannelProcesses = {
  channel: 'INSTAGRAM',
  connectorScript: 'connectors/instagram/src/main.ts',
  simulatorScript: 'connectors/instagram/src/simulator/main.ts',
  connectorEnv: ({ simulator }) => ({ INSTAGRAM_API_URL: `http://127.0.0.1:${simulator}`, ...platform }),
  simulatorEnv: ({ connector }) => ({ INSTAGRAM_WEBHOOK_URL: `http://127.0.0.1:${connector}/webhook`, ...platform }),
};
