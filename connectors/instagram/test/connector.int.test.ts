import { Client } from 'cassandra-driver';
import { z } from 'zod';
import { SIGNATURE_HEADER, cassandraEnv, createLogger, loadConfig, signBody } from '@chat4all/common';
import { migrateCassandra } from '../../../subgraphs/messages/src/store/migrate';
import { ConnectorScenario } from '../../../common/test/support/connector-scenario';
import { waitFor, metricValue } from '../../../common/test/support/processes';
import { postWebhook } from '../../../common/test/support/platform-pair';
import { REFS_TABLE } from '../src/refs-cassandra';
import { instagramPlatform } from '../src/simulator/platform';
import { INSTAGRAM_TEST_ACCOUNT, instagramProcesses } from './support/channel';

jest.setTimeout(180_000);

const cassandra = loadConfig(z.object(cassandraEnv));
const { appSecret: APP_SECRET, accountId: ACCOUNT } = INSTAGRAM_TEST_ACCOUNT;
let scenario: ConnectorScenario;
let client: Client;

beforeAll(async () => {
  try {
    // Applies 004_platform_message_refs (idempotent), as `npm run migrate` does.
    await migrateCassandra(cassandra, createLogger('instagram-it', 'warn'));
  } catch (error) {
    throw new Error(`Cassandra is not reachable at ${cassandra.CASSANDRA_CONTACT_POINTS.join(',')} (start it with \`npm run infra:up\`): ${String(error)}`);
  }
  client = new Client({ contactPoints: cassandra.CASSANDRA_CONTACT_POINTS, localDataCenter: cassandra.CASSANDRA_LOCAL_DC, keyspace: cassandra.CASSANDRA_KEYSPACE });
  await client.connect();
  scenario = await ConnectorScenario.start(instagramProcesses, {
    simulatorEnv: {
      SIM_LATENCY_MIN_MS: '20',
      SIM_LATENCY_MAX_MS: '40',
      // Receipts come later than the send, so some are still pending when the connector is killed.
      SIM_DELIVERED_AFTER_MS: '150',
    },
  });
});

afterAll(async () => {
  await scenario?.close();
  await client?.shutdown();
});

async function refRow(mid: string): Promise<{ message_id: string; conversation_id: string } | undefined> {
  const result = await client.execute(`SELECT message_id, conversation_id FROM ${REFS_TABLE} WHERE channel = ? AND platform_message_id = ?`, ['INSTAGRAM', mid], { prepare: true });
  const row = result.first();
  return row ? { message_id: row.get('message_id') as string, conversation_id: row.get('conversation_id') as string } : undefined;
}

test('messages reach the Send API, receipts are traced through Cassandra, READ comes back per conversation in order', async () => {
  const conversations = ['ig-a', 'ig-b', 'ig-c'];
  const events = scenario.outbound(conversations, 8);
  await scenario.publish(events);
  const ids = new Set(events.map((e) => e.message.messageId));
  await waitFor('every message READ', () => [...ids].every((id) => scenario.finals().get(id)?.status === 'READ'), 60_000, () => scenario.explain());

  for (const id of ids) expect(scenario.statuses.filter((s) => s.messageId === id).map((s) => s.status)).toEqual(['DELIVERED', 'READ']);
  for (const conversationId of conversations) {
    const reads = scenario.statuses.filter((s) => s.conversationId === conversationId && s.status === 'READ').map((s) => s.messageId);
    expect(reads).toEqual(events.filter((e) => e.message.conversationId === conversationId).map((e) => e.message.messageId));
  }
  const platform = (await scenario.simulatorMessages()).filter((m) => conversations.includes(m.recipient));
  expect(platform).toHaveLength(events.length);
  for (const m of platform) {
    const ref = JSON.parse(m.metadata!) as { m: string; c: string };
    expect(await refRow(m.id)).toEqual({ message_id: ref.m, conversation_id: ref.c });
  }
});

test('a redelivered event is one Instagram message; forged and unsigned receipts are refused', async () => {
  const [event] = scenario.outbound(['ig-dup'], 1);
  await scenario.publish([event!, event!]);
  await waitFor('READ', () => scenario.finals().get(event!.message.messageId)?.status === 'READ', 30_000, () => scenario.explain());
  await waitFor('the duplicate send', async () => (await scenario.simulatorMessages()).some((m) => m.recipient === 'ig-dup' && m.requests === 2), 20_000);
  expect((await scenario.simulatorMessages()).filter((m) => m.recipient === 'ig-dup')).toHaveLength(1);

  const [sent] = (await scenario.simulatorMessages()).filter((m) => m.recipient === 'ig-dup');
  const raw = JSON.stringify(instagramPlatform({ apiVersion: 'v21.0', accountId: ACCOUNT }).statusWebhook({ platformMessageId: sent!.id, status: 'read', at: new Date(), send: { recipient: 'ig-dup', kind: 'text' } }));
  const url = `${scenario.connectorUrl}/webhook`;
  expect(await postWebhook(url, raw)).toBe(401);
  expect(await postWebhook(url, raw, { [SIGNATURE_HEADER]: signBody('guessed', raw) })).toBe(403);
  expect(await postWebhook(url, raw, { [SIGNATURE_HEADER]: signBody(APP_SECRET, raw) })).toBe(409);
  const metrics = await scenario.connectorMetrics();
  expect(metricValue(metrics, 'webhook_rejected_total', { reason: 'unsigned' })).toBe(1);
  expect(metricValue(metrics, 'webhook_rejected_total', { reason: 'forged' })).toBe(1);
  expect(metricValue(metrics, 'webhook_rejected_total', { reason: 'replayed' })).toBe(1);
});

test('receipts for messages sent before a kill -9 are traced after the restart (the map is durable)', async () => {
  const conversations = ['ig-k1', 'ig-k2'];
  const events = scenario.outbound(conversations, 12);
  const ids = new Set(events.map((e) => e.message.messageId));
  await scenario.publish(events);
  await waitFor('some messages sent', async () => (await scenario.simulatorMessages()).filter((m) => conversations.includes(m.recipient)).length >= 4, 30_000, () => scenario.explain());
  await scenario.connector.kill9();
  const sentBeforeKill = (await scenario.simulatorMessages()).filter((m) => conversations.includes(m.recipient)).map((m) => JSON.parse(m.metadata!).m as string);
  const readBeforeKill = [...ids].filter((id) => scenario.finals().has(id));
  expect(sentBeforeKill.some((id) => !readBeforeKill.includes(id))).toBe(true); // receipts were still on their way
  await scenario.restartConnector();
  await waitFor('every message READ after the restart', () => [...ids].every((id) => scenario.finals().get(id)?.status === 'READ'), 90_000, () => scenario.explain());
  expect((await scenario.simulatorMessages()).filter((m) => conversations.includes(m.recipient))).toHaveLength(events.length);
});
