import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  EVENT_VERSION,
  MessageAccepted,
  MessageOutbound,
  MessageStatusChanged,
  OUTBOUND_TOPICS,
  PLATFORM_TOPICS,
  TOPICS,
  DEAD_LETTER_HEADERS as H,
  cassandraEnv,
  createKafkaBus,
  createLogger,
  deadLetterTopic,
  decodeEvent,
  deleteTopics,
  encodeEvent,
  ensureTopics,
  loadConfig,
  namespacedBus,
  topicNamespace,
  type BusRecord,
  type CassandraConfig,
  type Channel,
  type EventBus,
  type Subscription,
} from '@chat4all/common';
import { CassandraMessageStore, migrateCassandra, newMessageId, type Message } from '@chat4all/messages';
import { kafkaConfig, requireKafka } from '../../../common/test/support/kafka';
import { waitFor } from '../../../common/test/support/processes';
import { metricValue, startRouterProcess, type RouterProcess } from './support/router-process';

jest.setTimeout(240_000);

const log = createLogger('router-int-test', process.env.TEST_LOG_LEVEL ?? 'error');
// A keyspace for these tests, apart from the application's; fresh conversation ids keep runs apart inside it.
const KEYSPACE = 'chat4all_router_test';
const cassandraConfig: CassandraConfig = { ...loadConfig(z.object(cassandraEnv)), CASSANDRA_KEYSPACE: KEYSPACE };
// Topics and consumer groups of this run only (see common/src/worker/namespace.ts).
const namespace = topicNamespace(`test-router-${randomUUID().slice(0, 8)}.`);
const physicalTopics = PLATFORM_TOPICS.map((t) => namespace.topic(t));

const routerEnv: Record<string, string> = {
  CHAT4ALL_PROFILE: 'local',
  LOG_LEVEL: 'info',
  PORT: '0',
  KAFKA_TOPIC_PREFIX: namespace.prefix,
  KAFKA_CLIENT_ID: 'router-int-test',
  CASSANDRA_KEYSPACE: KEYSPACE,
  // A killed router's partitions move to its successor after 6 s (the broker's minimum) instead of 30 s.
  KAFKA_SESSION_TIMEOUT_MS: '6000',
  WORKER_RETRY_MAX_MS: '1000',
  WORKER_LAG_SAMPLE_MS: '300',
};

let bus: EventBus;
let store: CassandraMessageStore;
let reader: Subscription;
let router: RouterProcess | undefined;
/** Everything the router (and the tests) published on the run's topics, in arrival order per topic. */
const seen = new Map<string, BusRecord[]>();
const recordsOn = (topic: string) => seen.get(topic) ?? [];

beforeAll(async () => {
  await requireKafka();
  await migrateCassandra(cassandraConfig, log);
  await ensureTopics(kafkaConfig, physicalTopics, { partitions: 3, replicationFactor: kafkaConfig.KAFKA_REPLICATION_FACTOR });
  bus = namespacedBus(createKafkaBus(kafkaConfig, log, { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitTimeMs: 200 }), namespace);
  store = await CassandraMessageStore.connect(cassandraConfig);
  reader = await bus.subscribe({
    groupId: 'test-reader',
    topics: [...Object.values(OUTBOUND_TOPICS), TOPICS.messagesStatus, deadLetterTopic('router'), deadLetterTopic('status-persister')],
    fromBeginning: true,
    concurrency: 6,
    handler: async (record) => {
      const list = seen.get(record.topic) ?? [];
      list.push(record);
      seen.set(record.topic, list);
    },
  });
  router = await startRouterProcess(routerEnv);
});

afterAll(async () => {
  await router?.process.kill9();
  await reader?.stop();
  await bus?.close();
  await store?.close();
  await deleteTopics(kafkaConfig, physicalTopics).catch(() => undefined);
});

interface Sent {
  event: MessageAccepted;
  channel: Channel;
}

/** `perConversation` messages in each of `conversations` fresh conversations; some start with '@', one has only a file. */
function burst(conversations: number, perConversation: number): { conversations: string[]; messages: Sent[] } {
  const ids = Array.from({ length: conversations }, () => `conv-${randomUUID()}`);
  const messages: Sent[] = [];
  // Round robin, so each publish mixes conversations; per conversation the order is the index order.
  for (let i = 0; i < perConversation; i++) {
    for (const conversationId of ids) {
      const messageId = newMessageId();
      const event: MessageAccepted = {
        version: EVENT_VERSION,
        messageId,
        conversationId,
        senderId: `user-${i % 3}`,
        createdAt: new Date().toISOString(),
      };
      let channel: Channel = 'WHATSAPP';
      if (i === perConversation - 1) event.fileId = `file-${randomUUID()}`;
      else if (i % 3 === 0) {
        event.content = `@friend message ${i}`;
        channel = 'INSTAGRAM';
      } else event.content = `message ${i}`;
      messages.push({ event, channel });
    }
  }
  return { conversations: ids, messages };
}

async function publishAccepted(messages: Sent[], batch = 10): Promise<void> {
  for (let i = 0; i < messages.length; i += batch) {
    await bus.publish(
      TOPICS.messagesAccepted,
      messages.slice(i, i + batch).map(({ event }) => ({ key: event.conversationId, value: encodeEvent(MessageAccepted, event) })),
    );
  }
}

async function storedMessages(conversations: string[]): Promise<Message[]> {
  const pages = await Promise.all(conversations.map((c) => store.listByConversation(c, { first: 100 })));
  return pages.flatMap((p) => p.items);
}

async function countDelivered(conversations: string[]): Promise<number> {
  return (await storedMessages(conversations)).filter((m) => m.status === 'DELIVERED').length;
}

function outboundFor(conversations: Set<string>): { topic: string; event: MessageOutbound }[] {
  return Object.values(OUTBOUND_TOPICS).flatMap((topic) =>
    recordsOn(topic)
      .filter((r) => conversations.has(r.key)) // the key is the conversation id; other tests' records stay undecoded
      .map((r) => ({ topic, event: decodeEvent(MessageOutbound, r.value) })),
  );
}

function statusEventsFor(conversations: Set<string>): MessageStatusChanged[] {
  return recordsOn(TOPICS.messagesStatus)
    .filter((r) => conversations.has(r.key))
    .map((r) => decodeEvent(MessageStatusChanged, r.value));
}

/**
 * What every routed message must look like: stored once with its own fields and channel, history SENT then DELIVERED
 * (each once), handed to its channel's topic in conversation order, DELIVERED announced with the recorded time.
 * Returns how many outbound events were repeats (0 unless a crash forced redelivery).
 */
async function expectRouted(conversations: string[], messages: Sent[]): Promise<number> {
  const stored = await storedMessages(conversations);
  expect(stored).toHaveLength(messages.length);
  const byId = new Map(stored.map((m) => [m.id, m]));
  expect(byId.size).toBe(messages.length);
  for (const { event, channel } of messages) {
    const m = byId.get(event.messageId);
    expect(m).toBeDefined();
    expect(m).toMatchObject({ conversationId: event.conversationId, senderId: event.senderId, channel, status: 'DELIVERED' });
    expect(m?.content).toBe(event.content);
    expect(m?.fileId).toBe(event.fileId);
    expect(m?.statusHistory.map((t) => t.status)).toEqual(['SENT', 'DELIVERED']);
    expect(m?.statusHistory[0]?.at.toISOString()).toBe(event.createdAt);
  }

  const wanted = new Set(conversations);
  await waitFor('outbound events for every message', () => new Set(outboundFor(wanted).map((o) => o.event.message.messageId)).size === messages.length, 30_000);
  const delivered = () => statusEventsFor(wanted).filter((e) => e.status === 'DELIVERED');
  await waitFor('a DELIVERED status event for every message', () => new Set(delivered().map((e) => e.messageId)).size === messages.length, 30_000);

  const outbound = outboundFor(wanted);
  const expectedChannel = new Map(messages.map((m) => [m.event.messageId, m.channel]));
  for (const { topic, event } of outbound) {
    expect(topic).toBe(OUTBOUND_TOPICS[event.channel]);
    expect(event.channel).toBe(expectedChannel.get(event.message.messageId));
  }
  const original = new Map(messages.map((m) => [m.event.messageId, m.event]));
  for (const { event } of outbound) {
    const { version: _version, ...message } = original.get(event.message.messageId)!;
    expect(event.message).toEqual(message);
  }
  // Per conversation and channel, first appearances come in publish order.
  for (const conversationId of conversations) {
    for (const channel of ['WHATSAPP', 'INSTAGRAM'] as const) {
      const sentOrder = messages.filter((m) => m.event.conversationId === conversationId && m.channel === channel).map((m) => m.event.messageId);
      const firstSeen = [...new Set(outbound.filter((o) => o.event.message.conversationId === conversationId && o.event.channel === channel).map((o) => o.event.message.messageId))];
      expect(firstSeen).toEqual(sentOrder);
    }
  }

  // Per message: SENT (stored, at its creation time) before DELIVERED (at the recorded time), both from the router.
  const events = statusEventsFor(wanted);
  for (const event of events) {
    const m = byId.get(event.messageId)!;
    expect(event).toMatchObject({ source: 'router', channel: m.channel });
    expect(['SENT', 'DELIVERED']).toContain(event.status);
    expect(event.at).toBe(m.statusHistory[event.status === 'SENT' ? 0 : 1]?.at.toISOString());
  }
  for (const { event } of messages) {
    const mine = events.filter((e) => e.messageId === event.messageId).map((e) => e.status);
    expect(mine[0]).toBe('SENT');
    expect(mine.indexOf('DELIVERED')).toBeGreaterThan(mine.indexOf('SENT'));
  }
  return outbound.length - messages.length;
}

test('200 accepted messages across 10 conversations: each stored once, DELIVERED, on its channel topic in conversation order', async () => {
  const { conversations, messages } = burst(10, 20);
  expect(messages.filter((m) => m.channel === 'INSTAGRAM').length).toBeGreaterThan(50);
  await publishAccepted(messages);
  await waitFor('200 messages DELIVERED', async () => (await countDelivered(conversations)) === messages.length);
  expect(await expectRouted(conversations, messages)).toBe(0);

  // Logs carry the ids; metrics count the work and the lag drains to zero.
  const one = messages[0]!.event;
  await router!.process.waitForLine((l) => l.msg === 'message routed' && l.messageId === one.messageId && l.conversationId === one.conversationId, 5_000);
  await waitFor('router lag 0 on every partition', async () => {
    const text = await router!.metrics();
    const lines = text.split('\n').filter((l) => l.startsWith('chat4all_worker_consumer_lag{') && l.includes('group="router"'));
    return lines.length === 3 && metricValue(text, 'chat4all_worker_consumer_lag', { group: 'router' }) === 0;
  }, 30_000);
  const metrics = await router!.metrics();
  expect(metricValue(metrics, 'chat4all_worker_records_processed_total', { group: 'router', topic: TOPICS.messagesAccepted })).toBeGreaterThanOrEqual(200);
  expect(metricValue(metrics, 'chat4all_worker_records_processed_total', { group: 'status-persister', topic: TOPICS.messagesStatus })).toBeGreaterThanOrEqual(200);
  expect(metricValue(metrics, 'chat4all_worker_handler_duration_seconds_count', { group: 'router', outcome: 'success' })).toBeGreaterThanOrEqual(200);
  const ready = await fetch(`http://127.0.0.1:${router!.port}/readyz`);
  expect(ready.status).toBe(200);
});

test('status events from the connectors reach the store forward-only: late and repeated ones change nothing', async () => {
  const { conversations, messages } = burst(1, 4);
  await publishAccepted(messages);
  await waitFor('4 messages DELIVERED', async () => (await countDelivered(conversations)) === 4);
  const [readOne, failedOne, sentinel] = messages.map((m) => m.event);
  const deliveredAt = (await store.get(readOne!.messageId))!.statusHistory[1]!.at.getTime();
  const status = (event: MessageAccepted, s: MessageStatusChanged['status'], atMs: number, extra: Partial<MessageStatusChanged> = {}) => ({
    key: event.conversationId,
    value: encodeEvent(MessageStatusChanged, {
      version: EVENT_VERSION,
      messageId: event.messageId,
      conversationId: event.conversationId,
      status: s,
      at: new Date(atMs).toISOString(),
      channel: 'WHATSAPP',
      source: 'connector-whatsapp',
      ...extra,
    }),
  });
  // Same key: one partition, handled in this order; the sentinel READ comes last.
  await bus.publish(TOPICS.messagesStatus, [
    status(readOne!, 'READ', deliveredAt + 1_000),
    status(readOne!, 'DELIVERED', deliveredAt + 2_000), // late
    status(readOne!, 'READ', deliveredAt + 3_000), // repeated
    status(readOne!, 'FAILED', deliveredAt + 4_000, { reason: 'too late to fail' }),
    status(failedOne!, 'FAILED', deliveredAt + 1_000, { reason: 'platform rejected the recipient' }),
    status(failedOne!, 'READ', deliveredAt + 2_000),
    status(sentinel!, 'READ', deliveredAt + 5_000),
  ]);
  await waitFor('the sentinel READ', async () => (await store.get(sentinel!.messageId))?.status === 'READ', 30_000);

  const read = await store.get(readOne!.messageId);
  expect(read?.status).toBe('READ');
  expect(read?.statusHistory.map((t) => [t.status, t.at.getTime()])).toEqual([
    ['SENT', new Date(readOne!.createdAt).getTime()],
    ['DELIVERED', deliveredAt],
    ['READ', deliveredAt + 1_000],
  ]);
  const failed = await store.get(failedOne!.messageId);
  expect(failed?.status).toBe('FAILED');
  expect(failed?.failureReason).toBe('platform rejected the recipient');
  expect(failed?.statusHistory.map((t) => t.status)).toEqual(['SENT', 'DELIVERED', 'FAILED']);
});

test('a poison event goes to its group dead-letter topic and the next event is still processed', async () => {
  const conversationId = `conv-${randomUUID()}`;
  const garbage = Buffer.from(`{"version":1,"conversationId":"${conversationId}","note":"no message id"}`);
  const { messages } = burst(1, 1);
  const next = { ...messages[0]!, event: { ...messages[0]!.event, conversationId } };
  await bus.publish(TOPICS.messagesAccepted, [
    { key: conversationId, value: garbage, headers: { origin: 'poison-test' } },
    { key: conversationId, value: encodeEvent(MessageAccepted, next.event) },
  ]);
  await bus.publish(TOPICS.messagesStatus, [{ key: conversationId, value: Buffer.from('not json at all') }]);

  await waitFor('the next message DELIVERED', async () => (await store.get(next.event.messageId))?.status === 'DELIVERED', 30_000);
  await waitFor('the poison accepted event dead-lettered', () => recordsOn(deadLetterTopic('router')).some((r) => r.key === conversationId), 30_000);
  const dead = recordsOn(deadLetterTopic('router')).find((r) => r.key === conversationId)!;
  expect(Buffer.compare(dead.value, garbage)).toBe(0);
  expect(dead.headers).toMatchObject({ origin: 'poison-test', [H.topic]: TOPICS.messagesAccepted, [H.kind]: 'poison', [H.group]: 'router' });
  expect(dead.headers[H.reason]).toMatch(/messageId/);
  expect(Number(dead.headers[H.offset])).toBeGreaterThanOrEqual(0);

  await waitFor('the poison status event dead-lettered', () => recordsOn(deadLetterTopic('status-persister')).some((r) => r.key === conversationId), 30_000);
  const deadStatus = recordsOn(deadLetterTopic('status-persister')).find((r) => r.key === conversationId)!;
  expect(deadStatus.value.toString()).toBe('not json at all');
  expect(deadStatus.headers).toMatchObject({ [H.topic]: TOPICS.messagesStatus, [H.kind]: 'poison', [H.group]: 'status-persister' });

  const metrics = await router!.metrics();
  expect(metricValue(metrics, 'chat4all_worker_records_dead_lettered_total', { group: 'router', kind: 'poison' })).toBeGreaterThanOrEqual(1);
  expect(metricValue(metrics, 'chat4all_worker_records_dead_lettered_total', { group: 'status-persister', kind: 'poison' })).toBeGreaterThanOrEqual(1);
});

test('kill -9 in the middle of a burst, then restart: every message stored once and DELIVERED, none lost, each transition once', async () => {
  const { conversations, messages } = burst(10, 20);
  const wanted = new Set(conversations);
  await publishAccepted(messages, 50);
  await waitFor('the burst under way', () => statusEventsFor(wanted).length >= 30, 60_000, () => router!.process.tail(), 20);
  expect(await router!.process.kill9()).toEqual({ code: null, signal: 'SIGKILL' });
  const deliveredAtKill = await countDelivered(conversations);
  expect(deliveredAtKill).toBeLessThan(messages.length); // the kill really interrupted the burst

  router = await startRouterProcess(routerEnv);
  await waitFor('200 messages DELIVERED after the restart', async () => (await countDelivered(conversations)) === messages.length, 120_000, () => router!.process.tail(), 500);
  const repeats = await expectRouted(conversations, messages);
  // Only records handed to the channel but not yet marked DELIVERED at the kill can go out twice.
  expect(repeats).toBeLessThanOrEqual(messages.length - deliveredAtKill);
});

test('SIGTERM stops the consumers cleanly and the process exits 0', async () => {
  const running = router!.process;
  expect(await running.stop()).toEqual({ code: 0, signal: null });
  const stops = running.logs.filter((l) => l.msg === 'consumer stopped').map((l) => l.groupId);
  expect(stops.sort()).toEqual(['router', 'status-persister']);
  expect(running.logs.find((l) => l.msg === 'stopped')).toMatchObject({ clean: true });
});
