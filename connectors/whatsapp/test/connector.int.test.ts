import { SIGNATURE_HEADER, DEAD_LETTER_HEADERS, decodeEvent, MessageOutbound, signBody } from '@chat4all/common';
import { ConnectorScenario, type ObservedStatus } from '../../../common/test/support/connector-scenario';
import { ServiceProcess, freePort, metricValue, waitFor } from '../../../common/test/support/processes';
import { postWebhook } from '../../../common/test/support/platform-pair';
import { whatsappPlatform } from '../src/simulator/platform';
import { WHATSAPP_TEST_ACCOUNT, whatsappProcesses } from './support/channel';

jest.setTimeout(180_000);

const { appSecret: APP_SECRET, phoneNumberId: PHONE } = WHATSAPP_TEST_ACCOUNT;

/** Each conversation's statuses of one kind, in the order they arrived on the status topic. */
function byConversation(statuses: readonly ObservedStatus[], status: ObservedStatus['status']): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const s of statuses) if (s.status === status) result.set(s.conversationId, [...(result.get(s.conversationId) ?? []), s.messageId]);
  return result;
}

describe('WhatsApp connector and simulator as separate processes on real Kafka', () => {
  let scenario: ConnectorScenario;
  beforeAll(async () => {
    // Enough latency that a burst is still in flight when the connector is killed: a conversation's sends go one after
    // another, so the kill test's 15 take at least 1.5 s of wall-clock waiting, which a stalled test process (whose own
    // consumer tells it the burst has begun) cannot make up by starving the connector.
    scenario = await ConnectorScenario.start(whatsappProcesses, { simulatorEnv: { SIM_LATENCY_MIN_MS: '100', SIM_LATENCY_MAX_MS: '150' } });
  });
  afterAll(async () => {
    await scenario?.close();
  });

  test('outbound events reach the platform once each, and READ comes back per conversation in send order', async () => {
    const conversations = ['conv-a', 'conv-b', 'conv-c', 'conv-d'];
    const events = scenario.outbound(conversations, 10);
    await scenario.publish(events);
    const ids = new Set(events.map((e) => e.message.messageId));
    await waitFor('every message READ', () => [...ids].every((id) => scenario.finals().get(id)?.status === 'READ'), 60_000, () => scenario.explain());

    const ours = scenario.statuses.filter((s) => ids.has(s.messageId));
    // Exactly DELIVERED then READ per message, from the connector, keyed (partitioned) by conversation.
    for (const id of ids) expect(ours.filter((s) => s.messageId === id).map((s) => s.status)).toEqual(['DELIVERED', 'READ']);
    expect(new Set(ours.map((s) => s.source))).toEqual(new Set(['connector-whatsapp']));
    const reads = byConversation(ours, 'READ');
    for (const conversationId of conversations) {
      expect(reads.get(conversationId)).toEqual(events.filter((e) => e.message.conversationId === conversationId).map((e) => e.message.messageId));
      expect(new Set(ours.filter((s) => s.conversationId === conversationId).map((s) => s.partition)).size).toBe(1);
    }
    const platform = (await scenario.simulatorMessages()).filter((m) => conversations.includes(m.recipient));
    expect(platform).toHaveLength(40);
    expect(platform.every((m) => m.requests === 1 && m.kind === 'text')).toBe(true);
  });

  test('a redelivered outbound event is one platform message with one webhook series', async () => {
    const [event] = scenario.outbound(['conv-redelivered'], 1);
    await scenario.publish([event!, event!]);
    const id = event!.message.messageId;
    await waitFor('READ', () => scenario.finals().get(id)?.status === 'READ', 30_000, () => scenario.explain());
    // Let the second delivery of the event finish and any webhooks it could cause arrive.
    await waitFor('the duplicate send', async () => (await scenario.simulatorMessages()).some((m) => m.recipient === 'conv-redelivered' && m.requests === 2), 20_000);
    await waitFor('webhooks drained', async () => (await scenario.simulatorStats()).webhooks.pending === 0, 20_000);
    const platform = (await scenario.simulatorMessages()).filter((m) => m.recipient === 'conv-redelivered');
    expect(platform).toHaveLength(1);
    expect(scenario.statuses.filter((s) => s.messageId === id).map((s) => s.status)).toEqual(['DELIVERED', 'READ']);
  });

  test('unsigned, forged, replayed and stale webhooks are refused with their HTTP codes and counted', async () => {
    const [sent] = (await scenario.simulatorMessages()).filter((m) => m.recipient === 'conv-a');
    const platform = whatsappPlatform({ apiVersion: 'v21.0', phoneNumberId: PHONE });
    const body = (at: Date) =>
      JSON.stringify(platform.statusWebhook({ platformMessageId: sent!.id, status: 'read', at, send: { recipient: sent!.recipient, kind: 'text', metadata: sent!.metadata! } }));
    const url = `${scenario.connectorUrl}/webhook`;
    const before = scenario.statuses.length;

    const replay = body(new Date());
    expect(await postWebhook(url, replay)).toBe(401);
    expect(await postWebhook(url, replay, { [SIGNATURE_HEADER]: signBody('not-the-app-secret', replay) })).toBe(403);
    // Correctly signed, but this message's read event was already received from the platform.
    expect(await postWebhook(url, replay, { [SIGNATURE_HEADER]: signBody(APP_SECRET, replay) })).toBe(409);
    const stale = body(new Date(Date.now() - 3_600_000)).replace(sent!.id, `${sent!.id}X`);
    expect(await postWebhook(url, stale, { [SIGNATURE_HEADER]: signBody(APP_SECRET, stale) })).toBe(409);

    const metrics = await scenario.connectorMetrics();
    expect(metricValue(metrics, 'webhook_rejected_total', { reason: 'unsigned' })).toBe(1);
    expect(metricValue(metrics, 'webhook_rejected_total', { reason: 'forged' })).toBe(1);
    expect(metricValue(metrics, 'webhook_rejected_total', { reason: 'replayed' })).toBe(1);
    expect(metricValue(metrics, 'webhook_rejected_total', { reason: 'stale' })).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(scenario.statuses.length).toBe(before);
  });

  test('after kill -9 mid-burst and a restart, every message still ends READ and none is sent twice', async () => {
    const conversations = ['conv-k1', 'conv-k2', 'conv-k3'];
    const events = scenario.outbound(conversations, 15);
    const ids = new Set(events.map((e) => e.message.messageId));
    await scenario.publish(events);
    await waitFor('a part of the burst READ', () => [...ids].filter((id) => scenario.finals().has(id)).length >= 5, 30_000, () => scenario.explain());
    await scenario.connector.kill9();
    const finalAtKill = [...ids].filter((id) => scenario.finals().has(id)).length;
    expect(finalAtKill).toBeLessThan(ids.size); // killed mid-burst
    await scenario.restartConnector();
    await waitFor('every message READ after the restart', () => [...ids].every((id) => scenario.finals().get(id)?.status === 'READ'), 90_000, () => scenario.explain());
    const platform = (await scenario.simulatorMessages()).filter((m) => conversations.includes(m.recipient));
    expect(platform).toHaveLength(45); // redelivered sends were answered idempotently
    const reads = byConversation(scenario.statuses.filter((s) => ids.has(s.messageId)), 'READ');
    for (const conversationId of conversations) {
      // A READ may be published twice (the connector died before answering the webhook), never out of order.
      const firstSeen = [...new Set(reads.get(conversationId))];
      expect(firstSeen).toEqual(events.filter((e) => e.message.conversationId === conversationId).map((e) => e.message.messageId));
    }
  });
});

describe('WhatsApp platform failing 30% of calls', () => {
  let scenario: ConnectorScenario;
  beforeAll(async () => {
    scenario = await ConnectorScenario.start(whatsappProcesses, {
      simulatorEnv: { SIM_FAILURE_RATE: '0.3', SIM_SEED: '20261126' },
      // Two attempts per message, so some messages run out of attempts.
      connectorEnv: { WORKER_MAX_ATTEMPTS: '2', CIRCUIT_FAILURE_THRESHOLD: '4' },
    });
  });
  afterAll(async () => {
    await scenario?.close();
  });

  test('every message ends READ or FAILED; each FAILED one was never sent and is dead-lettered with its reason', async () => {
    const events = scenario.outbound(['conv-f1', 'conv-f2', 'conv-f3', 'conv-f4'], 10);
    await scenario.publish(events);
    const ids = events.map((e) => e.message.messageId);
    await waitFor('every message READ or FAILED', () => ids.every((id) => scenario.finals().has(id)), 90_000, () => scenario.explain());

    const finals = scenario.finals();
    const failed = ids.filter((id) => finals.get(id)?.status === 'FAILED');
    const read = ids.filter((id) => finals.get(id)?.status === 'READ');
    expect(failed.length + read.length).toBe(ids.length);
    expect((await scenario.simulatorStats()).sends.injectedFailures).toBeGreaterThan(0);

    for (const id of failed) expect(finals.get(id)?.reason).toMatch(/^not sent, every attempt failed; last error: HTTP 50[03]/);
    await waitFor('a dead letter per FAILED message', () => scenario.deadLetters.length >= failed.length, 20_000);
    const dead = scenario.deadLetters.map((r) => ({ id: decodeEvent(MessageOutbound, r.value).message.messageId, headers: r.headers }));
    expect(dead.map((d) => d.id).sort()).toEqual([...failed].sort());
    for (const d of dead) {
      expect(d.headers[DEAD_LETTER_HEADERS.kind]).toBe('gave-up');
      expect(d.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/HTTP 50[03]/);
    }
    // A FAILED message never reached the platform; a READ one reached it exactly once.
    const platform = await scenario.simulatorMessages();
    const sentIds = platform.map((m) => JSON.parse(m.metadata!).m as string);
    for (const id of failed) expect(sentIds).not.toContain(id);
    for (const id of read) expect(sentIds.filter((s) => s === id)).toHaveLength(1);
    // Order per conversation holds for the messages that were read.
    const reads = byConversation(scenario.statuses, 'READ');
    for (const [conversationId, got] of reads) {
      expect(got).toEqual(events.filter((e) => e.message.conversationId === conversationId && read.includes(e.message.messageId)).map((e) => e.message.messageId));
    }
  });
});

test('the connector refuses to start on topics that were never migrated, naming the missing topic', async () => {
  const port = await freePort();
  const connector = new ServiceProcess('whatsapp-unmigrated', whatsappProcesses.connectorScript, {
    CHAT4ALL_PROFILE: 'local',
    PORT: String(port),
    KAFKA_TOPIC_PREFIX: `never-migrated-${port}.`,
    ...whatsappProcesses.connectorEnv({ connector: port, simulator: port }),
  });
  expect(await connector.exited).toBe(1);
  expect(connector.lines.join('\n')).toMatch(/event bus is not migrated: missing Kafka topic never-migrated-\d+\.messages\.outbound\.whatsapp/);
});
