import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { createKafkaBus } from '../src/bus/kafka';
import { deleteTopics, ensureTopics } from '../src/bus/kafka-admin';
import type { BusRecord, EventBus } from '../src/bus/port';
import { kafkaEnv, loadConfig } from '../src/config';
import { EVENT_VERSION, MessageAccepted, encodeEvent } from '../src/contracts/events';
import { TOPICS, deadLetterTopic } from '../src/contracts/topics';
import { newUuidV7 } from '../src/ids';
import { createLogger } from '../src/logging';
import { KafkaLagSource, WorkerMetrics, namespacedBus, startEventConsumer, topicNamespace } from '../src/worker';
import { DEAD_LETTER_HEADERS as H } from '../src/bus/dead-letter';
import { requireKafka } from './support/kafka';

jest.setTimeout(90_000);

const config = loadConfig(z.object(kafkaEnv));
const log = createLogger('worker-kafka-test', process.env.TEST_LOG_LEVEL ?? 'error');


async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// A namespace of its own: the contract names, on topics and groups no other run uses.
const namespace = topicNamespace(`test-worker-${randomUUID().slice(0, 8)}.`);
const GROUP = 'router';
const physicalTopics = [TOPICS.messagesAccepted, deadLetterTopic(GROUP)].map((t) => namespace.topic(t));

let inner: EventBus;
let bus: EventBus;
let lagSource: KafkaLagSource;

beforeAll(async () => {
  await requireKafka();
  await ensureTopics(config, physicalTopics, { partitions: 3, replicationFactor: config.KAFKA_REPLICATION_FACTOR });
  inner = createKafkaBus(config, log, { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitTimeMs: 200 });
  bus = namespacedBus(inner, namespace);
  lagSource = new KafkaLagSource(config, log, namespace);
});

afterAll(async () => {
  await inner?.close();
  await lagSource?.close();
  await deleteTopics(config, physicalTopics).catch(() => undefined);
});

function accepted(conversationId: string, n: number): MessageAccepted {
  return { version: EVENT_VERSION, messageId: newUuidV7(), conversationId, senderId: 'user-1', content: `m${n}`, createdAt: new Date().toISOString() };
}

test('on real Kafka: lag counts unconsumed records, poison and given-up records land on the namespaced dead-letter topic, the rest are handled in order', async () => {
  const conversations = ['conv-a', 'conv-b', 'conv-c'];
  const events = conversations.flatMap((c) => [0, 1, 2, 3].map((n) => accepted(c, n)));
  const doomed = accepted('conv-b', 99);
  await bus.publish(TOPICS.messagesAccepted, [
    ...events.slice(0, 6).map((e) => ({ key: e.conversationId, value: encodeEvent(MessageAccepted, e) })),
    { key: 'conv-a', value: Buffer.from('{"version":1,"messageId":"broken"}') },
    { key: doomed.conversationId, value: encodeEvent(MessageAccepted, doomed) },
    ...events.slice(6).map((e) => ({ key: e.conversationId, value: encodeEvent(MessageAccepted, e) })),
  ]);
  const total = events.length + 2;

  // Nothing consumed yet: the group has no commits, so every record counts.
  const before = await lagSource.lag(GROUP, [TOPICS.messagesAccepted]);
  expect(before.map((p) => p.topic)).toEqual([TOPICS.messagesAccepted, TOPICS.messagesAccepted, TOPICS.messagesAccepted]);
  expect(before.reduce((sum, p) => sum + p.lag, 0)).toBe(total);

  const handled: MessageAccepted[] = [];
  const gaveUp: string[] = [];
  const metrics = new WorkerMetrics(new Registry());
  const consumer = await startEventConsumer({
    bus,
    groupId: GROUP,
    topics: [TOPICS.messagesAccepted],
    schema: MessageAccepted,
    concurrency: 3,
    retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
    handle: async (event) => {
      if (event.messageId === doomed.messageId) throw new Error('cannot handle this one');
      handled.push(event);
    },
    onGiveUp: async (event) => void gaveUp.push(event.messageId),
    metrics,
    log,
    lag: { source: lagSource, intervalMs: 200 },
  });

  const deadLetters: BusRecord[] = [];
  const dlqReader = await inner.subscribe({
    groupId: `${namespace.prefix}dlq-reader`,
    topics: [namespace.topic(deadLetterTopic(GROUP))],
    fromBeginning: true,
    handler: async (r) => void deadLetters.push(r),
  });

  try {
    await waitFor('every good record handled', () => handled.length === events.length);
    for (const conversationId of conversations) {
      expect(handled.filter((e) => e.conversationId === conversationId).map((e) => e.content)).toEqual(['m0', 'm1', 'm2', 'm3']);
    }
    expect(gaveUp).toEqual([doomed.messageId]);
    await waitFor('two dead letters', () => deadLetters.length === 2);
    const byKind = Object.fromEntries(deadLetters.map((r) => [r.headers[H.kind], r]));
    expect(byKind.poison?.value.toString()).toBe('{"version":1,"messageId":"broken"}');
    expect(byKind.poison?.headers[H.topic]).toBe(TOPICS.messagesAccepted);
    expect(byKind['gave-up']?.headers).toMatchObject({ [H.attempts]: '2', [H.reason]: 'Error: cannot handle this one' });

    // Everything committed: the sampled gauge reaches 0 on every partition.
    await waitFor('lag gauge at 0', async () => {
      const values = (await metrics.lag.get()).values.filter((v) => v.labels.group === GROUP);
      return values.length === 3 && values.every((v) => v.value === 0);
    });
  } finally {
    await consumer.stop();
    await dlqReader.stop();
  }
});
