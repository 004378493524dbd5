import type { MessageAccepted } from '@chat4all/common';
import type { Message } from '@chat4all/messages';
import { metricValue, waitFor } from '../../common/test/support/processes';
import { Pipeline } from './pipeline';

jest.setTimeout(240_000);

const FINAL = new Set(['READ', 'FAILED']);

function byConversation(events: readonly MessageAccepted[]): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const e of events) result.set(e.conversationId, [...(result.get(e.conversationId) ?? []), e.messageId]);
  return result;
}

async function allFinal(pipeline: Pipeline, ids: readonly string[]): Promise<boolean> {
  return (await pipeline.stored(ids)).every((m) => m !== null && FINAL.has(m.status));
}

/** What every message must look like whatever happened on the way: stored once, its history a forward path, once each. */
function expectWellFormed(message: Message | null, id: string): asserts message is Message {
  expect(message?.id).toBe(id);
  const path = message!.statusHistory.map((t) => t.status);
  expect(new Set(path).size).toBe(path.length);
  expect(path[0]).toBe('SENT');
  const times = message!.statusHistory.map((t) => t.at.getTime());
  expect([...times].sort((a, b) => a - b)).toEqual(times);
}

/** Per conversation, history holds exactly the messages sent, once each, newest first. */
async function expectHistories(pipeline: Pipeline, events: readonly MessageAccepted[]): Promise<void> {
  for (const [conversationId, ids] of byConversation(events)) {
    const history = await pipeline.history(conversationId);
    expect(history.map((m) => m.id)).toEqual([...ids].reverse());
  }
}

describe('the message lifecycle across router, connectors and platforms, each its own process', () => {
  let pipeline: Pipeline;
  beforeAll(async () => {
    pipeline = await Pipeline.start();
  });
  afterAll(async () => {
    await pipeline?.close();
  });

  test('200 messages in 8 conversations all reach READ, once each in history, in order per conversation', async () => {
    const conversations = Array.from({ length: 8 }, (_, i) => `life-${i}-${Date.now()}`);
    const events = pipeline.accepted(conversations, 25);
    await pipeline.publish(events);
    const ids = events.map((e) => e.messageId);
    await waitFor('every message READ', async () => (await pipeline.stored(ids)).every((m) => m?.status === 'READ'), 120_000, () => pipeline.explain());

    const stored = await pipeline.stored(ids);
    stored.forEach((message, i) => {
      expectWellFormed(message, ids[i]!);
      expect(message.statusHistory.map((t) => t.status)).toEqual(['SENT', 'DELIVERED', 'READ']);
      expect(message.channel).toBe(events[i]!.content!.startsWith('@') ? 'INSTAGRAM' : 'WHATSAPP');
    });
    await expectHistories(pipeline, events);

    // Each platform received each of its messages once, in send order per conversation (its chat).
    for (const [channel, isInstagram] of [['whatsapp', false], ['instagram', true]] as const) {
      const received = (await pipeline.platformMessages(channel)).filter((m) => conversations.includes(m.recipient));
      expect(received.every((m) => m.requests === 1)).toBe(true);
      for (const conversationId of conversations) {
        const expected = events.filter((e) => e.conversationId === conversationId && e.content!.startsWith('@') === isInstagram).map((e) => e.messageId);
        // The platform request's metadata carries our message id (`m`): the platform saw them in send order.
        const got = received.filter((m) => m.recipient === conversationId).map((m) => (JSON.parse(m.metadata ?? '{}') as { m?: string }).m);
        expect(got).toEqual(expected);
      }
    }

    // The workers account for what they did.
    const router = await pipeline.metrics('router');
    expect(metricValue(router, 'chat4all_worker_records_processed_total', { group: 'router', topic: 'messages.accepted' })).toBeGreaterThanOrEqual(200);
    expect(router).toMatch(/chat4all_worker_consumer_lag\{/);
    const whatsapp = await pipeline.metrics('whatsapp');
    expect(metricValue(whatsapp, 'chat4all_worker_records_processed_total', { group: 'connector-whatsapp' })).toBeGreaterThan(0);
  });

  test('kill -9 of the router and the WhatsApp connector mid-burst loses nothing and duplicates nothing', async () => {
    const conversations = Array.from({ length: 8 }, (_, i) => `kill-${i}-${Date.now()}`);
    const events = pipeline.accepted(conversations, 25);
    const ids = events.map((e) => e.messageId);
    await pipeline.publish(events);
    await waitFor('part of the burst READ', async () => (await pipeline.stored(ids)).filter((m) => m?.status === 'READ').length >= 20, 60_000, () => pipeline.explain());
    await Promise.all([pipeline.router.kill9(), pipeline.connectors.whatsapp.kill9()]);
    const finalAtKill = (await pipeline.stored(ids)).filter((m) => m !== null && FINAL.has(m.status)).length;
    expect(finalAtKill).toBeLessThan(ids.length); // the kill interrupted the burst

    await pipeline.restartStopped();
    await waitFor('every message READ or FAILED after the restart', () => allFinal(pipeline, ids), 150_000, () => pipeline.explain());

    const stored = await pipeline.stored(ids);
    stored.forEach((message, i) => expectWellFormed(message, ids[i]!));
    // No platform failures were injected, so every message made it all the way.
    expect(stored.map((m) => m!.status)).toEqual(ids.map(() => 'READ'));
    await expectHistories(pipeline, events);
    // A redelivered send carries the same idempotency key: the platform holds one message per send.
    const received = (await pipeline.platformMessages('whatsapp')).filter((m) => conversations.includes(m.recipient));
    expect(received).toHaveLength(events.filter((e) => !e.content!.startsWith('@')).length);
  });
});

describe('the message lifecycle with platforms failing 30% of calls', () => {
  let pipeline: Pipeline;
  beforeAll(async () => {
    pipeline = await Pipeline.start({
      simulatorEnv: { SIM_FAILURE_RATE: '0.3', SIM_SEED: '4242' },
      // Two attempts per send, so some messages run out of attempts and must end FAILED, not stuck.
      connectorEnv: { WORKER_MAX_ATTEMPTS: '2', CIRCUIT_FAILURE_THRESHOLD: '6' },
    });
  });
  afterAll(async () => {
    await pipeline?.close();
  });

  test('every message still ends READ or FAILED; a FAILED one says why', async () => {
    const conversations = Array.from({ length: 6 }, (_, i) => `flaky-${i}-${Date.now()}`);
    const events = pipeline.accepted(conversations, 20);
    const ids = events.map((e) => e.messageId);
    await pipeline.publish(events);
    await waitFor('every message READ or FAILED', () => allFinal(pipeline, ids), 150_000, () => pipeline.explain());

    const stored = await pipeline.stored(ids);
    stored.forEach((message, i) => expectWellFormed(message, ids[i]!));
    const failed = stored.filter((m) => m!.status === 'FAILED');
    const read = stored.filter((m) => m!.status === 'READ');
    expect(failed.length + read.length).toBe(ids.length);
    // With 30% of calls failing and two attempts, about 9% run out: some do, most do not.
    expect(read.length).toBeGreaterThan(ids.length / 2);
    expect(failed.length).toBeGreaterThan(0);
    for (const message of failed) expect(message!.failureReason).toMatch(/\S/);
    await expectHistories(pipeline, events);
  });
});
